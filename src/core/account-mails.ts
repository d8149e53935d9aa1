/**
 * The account mails (issue #13) that a feature other than `auth/` asks for: `users/` registers
 * accounts and changes addresses, `auth/recovery/` makes the tokens and writes the mails. `app.ts`
 * hands the one to the other through this interface, since a feature imports no other feature.
 */

/** What a mail about an account needs to know of it. */
export interface MailedAccount {
  id: string
  username: string
  email: string
  sessionVersion: number
}

export interface AccountMails {
  /**
   * Mails a single-use link proving `account.email` to that address. Never throws: a failure is
   * logged, and the user can ask for another link (`POST /auth/verify-email/resend`).
   */
  sendVerification(account: MailedAccount): Promise<void>
  /**
   * After an address change: mails `account.email` a verification link and tells `oldEmail` that
   * the account's address is now `account.email`, and what to do if that was not its owner. Both
   * are skipped (and logged) past the account's hourly limit of verification mails. Never throws,
   * like `sendVerification`.
   */
  sendEmailChange(account: MailedAccount, oldEmail: string): Promise<void>
}

/** Sends nothing: for services built without mail (unit tests). */
export const NO_ACCOUNT_MAILS: AccountMails = {
  sendVerification: async () => {},
  sendEmailChange: async () => {},
}
