/**
 * The MongoDB ceiling of `bun run bench`: the official driver's own `findOne` by `_id` on
 * `products`, in a loop from as many concurrent callers as wrk has connections, against the same
 * server and document that Mercado's `GET /products/{id}` row reads. No HTTP, no validation, no
 * JSON: what the store costs at best. Prints `{ rate, p50Ms, p99Ms, count }` as JSON.
 *
 * Usage: bun bench/mongo-findone.ts <uri> <db> <product id> <concurrency> <duration ms> [warm-up ms]
 */
import { MongoClient, ObjectId } from 'mongodb'

const [uri = '', dbName = '', id = '', concurrencyText = '50', durationText = '5000', warmupText = '0'] =
  process.argv.slice(2)
const concurrency = Number(concurrencyText)
const durationMs = Number(durationText)

const client = new MongoClient(uri, { maxPoolSize: Math.max(concurrency, 1) })
await client.connect()
const products = client.db(dbName).collection('products')
const _id = new ObjectId(id)
if (!(await products.findOne({ _id }))) throw new Error(`product ${id} is not in ${dbName}.products`)

const latencies: number[] = []
/** Every caller reads in a loop until `ms` are over; the latencies are kept when `record`. */
async function load(ms: number, record: boolean) {
  const deadline = performance.now() + ms
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now()
        const doc = await products.findOne({ _id })
        if (!doc) throw new Error('the product disappeared')
        if (record) latencies.push(performance.now() - t0)
      }
    }),
  )
}
await load(Number(warmupText), false)
const started = performance.now()
await load(durationMs, true)
const elapsed = (performance.now() - started) / 1000
await client.close()
latencies.sort((a, b) => a - b)
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
console.log(
  JSON.stringify({
    rate: latencies.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    count: latencies.length,
  }),
)
