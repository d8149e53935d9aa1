import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP forwarder to the test server that stages outages: `stop()` cuts every connection, as a
 * crashed server would; `stall()` keeps them open but forwards nothing, as a hung one would.
 */
export class TcpProxy {
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  private stalled = false

  constructor(private readonly target: URL) {}

  /** Listens on `port` of 127.0.0.1 (0: any free port) and returns the port. */
  start(port = 0): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port || 27017), this.target.hostname)
      // While stalled, bytes in either direction are dropped, so that nothing asked is answered.
      const forward = (from: Socket, to: Socket) =>
        from.on('data', (chunk) => {
          if (!this.stalled) to.write(chunk)
        })
      forward(client, upstream)
      forward(upstream, client)
      for (const socket of [client, upstream]) {
        this.sockets.add(socket)
        socket.on('error', () => socket.destroy())
        socket.on('close', () => {
          this.sockets.delete(socket)
          client.destroy()
          upstream.destroy()
        })
      }
    })
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
    })
  }

  /** From now on nothing is answered, and nothing is closed either. */
  stall(): void {
    this.stalled = true
  }

  /** Bytes flow again; connections that lost bytes are closed by the client when it gives up on them. */
  resume(): void {
    this.stalled = false
  }

  /** Stops listening and cuts every open connection, as a server crash would. */
  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    this.stalled = false
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
    if (server?.listening) await new Promise((resolve) => server.close(resolve))
  }
}
