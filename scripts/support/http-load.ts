/**
 * A moderate mixed load on the service for the gates: public reads, reads as a signed-in user,
 * product writes and readiness checks from a few concurrent workers. Every request is recorded
 * with its start, end and answer, so that a gate can judge what clients saw in any time window.
 */

export type Op = 'list' | 'get' | 'create' | 'me' | 'ready'

export interface Sample {
  op: Op
  /** `performance.now()` when the request was sent and when its answer (or failure) arrived. */
  start: number
  end: number
  /** The HTTP status; 0 when no answer came: `error` says why (`hang` past the client's limit). */
  status: number
  error?: string
  retryAfter: string | null
  /** For a product created with 201: its id and name, to read it back later. */
  created?: { id: string; name: string }
}

export interface LoadOptions {
  url: string
  token: string
  workers: number
  /** Pause between two requests of one worker. */
  pauseMs: number
  /** A request still unanswered after this long is abandoned and recorded as a hang. */
  hangMs: number
}

/** Each worker runs through this mix: one write in five requests. */
const MIX: Op[] = ['list', 'get', 'create', 'me', 'list', 'ready', 'get', 'create', 'me', 'list']

export class HttpLoad {
  readonly samples: Sample[] = []
  /** Products known to exist, for `get`; starts with those the gate seeded. */
  readonly known: string[] = []
  private running = false
  /** When each request still unanswered was sent, by request. */
  private readonly inFlight = new Map<number, number>()
  private requests = 0
  private workers: Promise<void>[] = []
  private serial = 0

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    this.running = true
    this.workers = Array.from({ length: this.options.workers }, (_, worker) => this.work(worker))
  }

  async stop(): Promise<void> {
    this.running = false
    await Promise.all(this.workers)
  }

  /** Resolves once every request sent before `time` has its answer (or was abandoned as a hang). */
  async settled(time: number): Promise<void> {
    while ([...this.inFlight.values()].some((start) => start < time)) await Bun.sleep(50)
  }

  /** The samples whose request was sent in [from, to). */
  between(from: number, to: number): Sample[] {
    return this.samples.filter((sample) => sample.start >= from && sample.start < to)
  }

  private async work(worker: number): Promise<void> {
    let turn = worker
    while (this.running) {
      const op = MIX[turn++ % MIX.length] as Op
      this.samples.push(await this.send(op))
      await Bun.sleep(this.options.pauseMs)
    }
  }

  private async send(op: Op): Promise<Sample> {
    const { url, token, hangMs } = this.options
    const auth = { authorization: `Bearer ${token}` }
    let request: Request
    let name = ''
    switch (op) {
      case 'list':
        request = new Request(`${url}/products?limit=5`)
        break
      case 'get': {
        const id = this.known[Math.floor(Math.random() * this.known.length)]
        request = new Request(`${url}/products/${id}`)
        break
      }
      case 'create':
        name = `outage load ${++this.serial} ${crypto.randomUUID()}`
        request = new Request(`${url}/products`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ name, price: 9.99, stock: 3, tags: ['gate'] }),
        })
        break
      case 'me':
        request = new Request(`${url}/users/me`, { headers: auth })
        break
      case 'ready':
        request = new Request(`${url}/ready`)
        break
    }
    const start = performance.now()
    const ticket = ++this.requests
    this.inFlight.set(ticket, start)
    try {
      const reply = await fetch(request, { signal: AbortSignal.timeout(hangMs) })
      const body = await reply.text()
      const sample: Sample = {
        op,
        start,
        end: performance.now(),
        status: reply.status,
        retryAfter: reply.headers.get('retry-after'),
      }
      if (op === 'create' && reply.status === 201) {
        const id = String((JSON.parse(body) as { id: string }).id)
        sample.created = { id, name }
        this.known.push(id)
      }
      return sample
    } catch (error) {
      const hang = error instanceof DOMException && error.name === 'TimeoutError'
      return {
        op,
        start,
        end: performance.now(),
        status: 0,
        error: hang ? 'hang' : String(error),
        retryAfter: null,
      }
    } finally {
      this.inFlight.delete(ticket)
    }
  }
}

/** One request to the service, its body parsed; fails past `timeoutMs`. */
export async function callService(
  url: string,
  path: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  const reply = await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) })
  const text = await reply.text()
  return { status: reply.status, body: text ? JSON.parse(text) : null }
}

/** Registers and signs in a user for the load to write as, and creates a product for its readers. */
export async function signUpWriter(
  url: string,
  timeoutMs: number,
): Promise<{ token: string; productId: string }> {
  const post = (path: string, body: object, token?: string) =>
    callService(
      url,
      path,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
        body: JSON.stringify(body),
      },
      timeoutMs,
    )
  const account = {
    username: 'load_writer',
    email: 'load.writer@example.com',
    password: 'load-writer-password',
  }
  const registered = await post('/auth/register', account)
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}`)
  const login = await post('/auth/login', account)
  const token = (login.body as { access_token?: string }).access_token
  if (!token) throw new Error(`login answered ${login.status}`)
  const product = await post('/products', { name: 'load seed', price: 1 }, token)
  if (product.status !== 201) throw new Error(`creating a product answered ${product.status}`)
  return { token, productId: (product.body as { id: string }).id }
}
