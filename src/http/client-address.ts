import type { Server } from 'bun'

/**
 * The client address: the socket's peer, or behind a trusted proxy (`TRUST_PROXY`) the last
 * `X-Forwarded-For` entry, the one that proxy added (earlier entries are the client's to forge).
 * Login and registration throttling both key on it.
 */
export function clientAddress(request: Request, server: Server<unknown> | null, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for')
    const last = forwarded?.split(',').pop()?.trim()
    if (last) return last
  }
  return server?.requestIP(request)?.address ?? 'unknown'
}
