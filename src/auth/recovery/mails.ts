/** The account mails' words: each a plain-text and an HTML body, values escaped in the HTML. */
import type { OutgoingMail } from '../../mail'
import { type Html, html } from '../signin/html'

/** How long, in words: `24 hours`, `30 minutes`. */
export function inWords(seconds: number): string {
  const [amount, unit] =
    seconds % 86_400 === 0 && seconds >= 172_800
      ? [seconds / 86_400, 'day']
      : seconds % 3600 === 0
        ? [seconds / 3600, 'hour']
        : seconds % 60 === 0
          ? [seconds / 60, 'minute']
          : [seconds, 'second']
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`
}

function mail(to: string, subject: string, lines: string[], body: Html): OutgoingMail {
  return {
    to,
    subject,
    text: `${lines.join('\n')}\n\n-- \nMercado\n`,
    html: html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${subject}</title></head>
<body style="font-family: sans-serif; line-height: 1.5">
${body}
<p style="color: #666">Mercado</p>
</body></html>
`.text,
  }
}

/** A link to prove `email` belongs to `username`. */
export function verificationMail(to: string, username: string, link: string, ttl: number): OutgoingMail {
  return mail(
    to,
    'Confirm your email address for Mercado',
    [
      `Hello ${username},`,
      '',
      'Please confirm that this is your email address by opening this link:',
      '',
      link,
      '',
      `The link works once, for ${inWords(ttl)}. If you did not create a Mercado account or change its address, ignore this mail.`,
    ],
    html`<p>Hello ${username},</p>
<p>Please confirm that this is your email address:</p>
<p><a href="${link}">Confirm my email address</a></p>
<p>Or open this link: ${link}</p>
<p>The link works once, for ${inWords(ttl)}. If you did not create a Mercado account or change its address, ignore this mail.</p>`,
  )
}

/** A link to choose a new password. */
export function resetMail(to: string, username: string, link: string, ttl: number): OutgoingMail {
  return mail(
    to,
    'Reset your Mercado password',
    [
      `Hello ${username},`,
      '',
      'Someone asked to reset the password of your Mercado account. To choose a new one, open this link:',
      '',
      link,
      '',
      `The link works once, for ${inWords(ttl)}. If it was not you, ignore this mail: your password stays as it is.`,
    ],
    html`<p>Hello ${username},</p>
<p>Someone asked to reset the password of your Mercado account. To choose a new one:</p>
<p><a href="${link}">Reset my password</a></p>
<p>Or open this link: ${link}</p>
<p>The link works once, for ${inWords(ttl)}. If it was not you, ignore this mail: your password stays as it is.</p>`,
  )
}

/** To the old address after a change: where the account's mail goes now, and what to do if it was not its owner. */
export function emailChangedMail(
  to: string,
  username: string,
  newEmail: string,
  forgotPage: string,
): OutgoingMail {
  return mail(
    to,
    'Your Mercado email address was changed',
    [
      `Hello ${username},`,
      '',
      `The email address of your Mercado account was changed to ${newEmail}.`,
      '',
      `If this was not you, reset your password at once: ${forgotPage}`,
      'and tell us.',
    ],
    html`<p>Hello ${username},</p>
<p>The email address of your Mercado account was changed to <strong>${newEmail}</strong>.</p>
<p>If this was not you, <a href="${forgotPage}">reset your password</a> at once, and tell us.</p>`,
  )
}
