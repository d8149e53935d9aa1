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
   * Tells `oldEmail` that the account's address is now `account.email`, and what to do if that
   * was not its owner. Never throws, like `sendVerification`.
   */
  sendEmailChanged(account: MailedAccount, oldEmail: string): Promise<void>
}

/** Sends nothing: for services built without mail (unit tests). */
export const NO_ACCOUNT_MAILS: AccountMails = {
  sendVerification: async () => {},
  sendEmailChanged: async () => {},
}
