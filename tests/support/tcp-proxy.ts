import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net'

/** A TCP forwarder to the test server that can be cut and restored, to stage an outage. */
export class TcpProxy {
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()

  constructor(private readonly target: URL) {}

  /** Listens on `port` (0: any free port) and returns the port. */
  start(port: number): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port || 27017), this.target.hostname)
      for (const socket of [client, upstream]) {
        this.sockets.add(socket)
        socket.on('error', () => socket.destroy())
        socket.on('close', () => {
          this.sockets.delete(socket)
          client.destroy()
          upstream.destroy()
        })
      }
      client.pipe(upstream)
      upstream.pipe(client)
    })
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
    })
  }

  /** Stops listening and cuts every open connection, as a server crash would. */
  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
    if (server?.listening) await new Promise((resolve) => server.close(resolve))
  }
}
