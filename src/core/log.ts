/** Levels from the most to the least verbose; `silent` writes nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export type LogFields = Record<string, unknown>

/** A JSON-lines logger: one object per line on stdout, `time` and `level` first. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  /** Writes a line that has no message, such as the access log. */
  line(level: Exclude<LogLevel, 'silent'>, fields: LogFields): void
  /** Writes out buffered lines now (before the process exits). */
  flush(): void
}

function errorFields(value: unknown): unknown {
  if (!(value instanceof Error)) return value
  return { name: value.name, message: value.message, stack: value.stack, cause: errorFields(value.cause) }
}

let isoMs = 0
let iso = ''
/** The current time as ISO 8601, formatted once per millisecond however many lines share it. */
function isoNow(): string {
  const ms = Date.now()
  if (ms !== isoMs) {
    isoMs = ms
    iso = new Date(ms).toISOString()
  }
  return iso
}

/**
 * Builds a logger that drops lines below `level`. Lines are buffered and written together once per
 * turn of the event loop: one write per burst of requests instead of one per request. Errors and
 * warnings are written at once.
 */
export function createLogger(
  level: LogLevel,
  write: (chunk: string) => void = (c) => process.stdout.write(c),
): Logger {
  const threshold = LOG_LEVELS.indexOf(level)
  let buffer = ''
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (buffer === '') return
    const chunk = buffer
    buffer = ''
    write(chunk)
  }
  const line: Logger['line'] = (lineLevel, fields) => {
    if (LOG_LEVELS.indexOf(lineLevel) < threshold) return
    // `time` and `level` first, then the fields, without a merged copy of them (one line per
    // request: issue #15); the level is one of ours, so it needs no escaping.
    const rest = JSON.stringify('err' in fields ? { ...fields, err: errorFields(fields.err) } : fields)
    buffer += `{"time":"${isoNow()}","level":"${lineLevel}"${rest === '{}' ? '}' : `,${rest.slice(1)}`}\n`
    if (lineLevel === 'warn' || lineLevel === 'error') flush()
    else if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }
  return {
    line,
    flush,
    debug: (msg, fields) => line('debug', { msg, ...fields }),
    info: (msg, fields) => line('info', { msg, ...fields }),
    warn: (msg, fields) => line('warn', { msg, ...fields }),
    error: (msg, fields) => line('error', { msg, ...fields }),
  }
}
