/**
 * Maps the driver's errors to the store's typed errors, so that nothing above `store/` knows
 * MongoDB error classes or codes.
 */
import {
  MongoBulkWriteError,
  MongoClientClosedError,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb'
import { StoreUnavailableError } from '../errors.ts'

/** Server codes that mean "this server cannot answer now", not "your request is wrong". */
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
])

/** Driver errors raised by the connection pool that are not exported as classes. */
const UNAVAILABLE_NAMES = new Set(['MongoWaitQueueTimeoutError', 'MongoPoolClosedError'])

/** True when `error` says the server is unreachable, going away or too slow. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof MongoError)) return false
  // MongoNetworkError covers MongoNetworkTimeoutError and the pool-cleared errors too.
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) return true
  if (error instanceof MongoOperationTimeoutError) return true
  // A closed store answers like an unreachable one, as the SQLite engine does.
  if (
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoClientClosedError
  ) {
    return true
  }
  if (UNAVAILABLE_NAMES.has(error.name)) return true
  // `insertMany` wraps a driver failure (a lost connection, no server) in a MongoBulkWriteError
  // with neither write errors nor a server code, and drops the original error's class.
  if (
    error instanceof MongoBulkWriteError &&
    error.result.getWriteErrorCount() === 0 &&
    error.code === undefined
  )
    return true
  if (typeof error.code === 'number' && UNAVAILABLE_CODES.has(error.code)) return true
  return error.hasErrorLabel('SystemOverloadedError')
}

/** Turns an unavailable-server error into `StoreUnavailableError`; returns anything else as is. */
export function mapUnavailable(error: unknown): unknown {
  return isUnavailable(error) ? new StoreUnavailableError(error) : error
}

/** Runs one repository operation, mapping unavailable-server errors at the store boundary. */
export async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    throw mapUnavailable(error)
  }
}
