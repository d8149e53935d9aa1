/** Errors every engine throws in place of its driver's own; the HTTP layer maps them to statuses. */

/** A unique field is taken. */
export class ConflictError extends Error {
  constructor(readonly field: 'username' | 'email') {
    super(`${field} is already taken`)
    this.name = 'ConflictError'
  }
}

/** The write would leave no enabled admin; nothing was written. */
export class LastAdminError extends Error {
  constructor() {
    super('this would remove the last enabled admin')
    this.name = 'LastAdminError'
  }
}

/** `expectedVersion` no longer matches the stored document. */
export class PreconditionFailedError extends Error {
  constructor() {
    super('the resource has changed since it was read')
    this.name = 'PreconditionFailedError'
  }
}

/** The database cannot be reached or did not answer in time. */
export class StoreUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('the database is unavailable', { cause })
    this.name = 'StoreUnavailableError'
  }
}
