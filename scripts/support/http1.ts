/**
 * A bare HTTP/1.1 client over one keep-alive TCP connection, for the gates. `fetch` hides what
 * they have to see: whether a request failed before anything was sent (refused) or after it was
 * sent and before an answer came (dropped), and it may retry on its own.
 */
import { connect, type Socket } from 'node:net'

export type Outcome =
  | { kind: 'answered'; status: number; headers: Record<string, string>; body: string }
  /** The connection could not be made: nothing was sent. */
  | { kind: 'refused'; error: string }
  /** The request was sent, and the connection ended or failed before a whole answer came. */
  | { kind: 'dropped'; error: string }

export interface Request {
  method: string
  path: string
  headers?: Record<string, string>
  /** Sent as JSON. */
  json?: unknown
}

interface Pending {
  resolve(outcome: Outcome): void
  buffer: Buffer
}

export class KeepAliveConnection {
  private socket: Socket | undefined
  /** The server ended the connection (or told us it would): the next request opens a new one. */
  private ended = true
  private pending: Pending | undefined
  /** Connections opened so far, the first included. */
  connections = 0

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  async request(request: Request): Promise<Outcome> {
    if (this.pending) throw new Error('one request at a time on a connection')
    if (this.ended || !this.socket) {
      const opened = await this.open()
      if (opened) return opened
    }
    const socket = this.socket as Socket
    const body = request.json === undefined ? '' : JSON.stringify(request.json)
    const head = [
      `${request.method} ${request.path} HTTP/1.1`,
      `host: ${this.host}:${this.port}`,
      ...Object.entries(request.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
      ...(body ? ['content-type: application/json', `content-length: ${Buffer.byteLength(body)}`] : []),
    ]
    return new Promise<Outcome>((resolve) => {
      this.pending = { resolve, buffer: Buffer.alloc(0) }
      socket.write(`${head.join('\r\n')}\r\n\r\n${body}`)
    })
  }

  close(): void {
    this.socket?.destroy()
    this.socket = undefined
    this.ended = true
  }

  /** Opens a connection; resolves with `refused` when that fails, else with nothing. */
  private open(): Promise<Outcome | undefined> {
    this.close()
    this.connections++
    return new Promise((resolve) => {
      const socket = connect(this.port, this.host)
      socket.setNoDelay(true)
      const refused = (error: NodeJS.ErrnoException) =>
        resolve({ kind: 'refused', error: error.code ?? error.message })
      socket.once('error', refused)
      socket.once('connect', () => {
        socket.off('error', refused)
        this.socket = socket
        this.ended = false
        socket.on('data', (chunk: Buffer) => this.receive(chunk))
        socket.on('end', () => this.lost(socket, 'closed by the server before an answer'))
        socket.on('close', () => this.lost(socket, 'closed before an answer'))
        socket.on('error', (error: NodeJS.ErrnoException) => this.lost(socket, error.code ?? error.message))
        resolve(undefined)
      })
    })
  }

  private lost(socket: Socket, error: string): void {
    if (socket !== this.socket) return
    this.ended = true
    const pending = this.pending
    this.pending = undefined
    pending?.resolve({ kind: 'dropped', error })
  }

  private receive(chunk: Buffer): void {
    const pending = this.pending
    if (!pending) return
    pending.buffer = Buffer.concat([pending.buffer, chunk])
    const parsed = parse(pending.buffer)
    if (!parsed) return
    this.pending = undefined
    if (parsed.headers.connection?.toLowerCase() === 'close') this.close()
    pending.resolve({ kind: 'answered', ...parsed })
  }
}

/** One whole response from the start of `buffer`, or undefined while it is incomplete. */
function parse(
  buffer: Buffer,
): { status: number; headers: Record<string, string>; body: string } | undefined {
  const end = buffer.indexOf('\r\n\r\n')
  if (end < 0) return undefined
  const [statusLine = '', ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n')
  const status = Number(statusLine.split(' ')[1])
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  if (headers['transfer-encoding']) throw new Error(`chunked answers are not handled: ${statusLine}`)
  const length = status === 204 || status === 304 ? 0 : Number(headers['content-length'] ?? 0)
  if (buffer.length < end + 4 + length) return undefined
  return { status, headers, body: buffer.subarray(end + 4, end + 4 + length).toString('utf8') }
}
