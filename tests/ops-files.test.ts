import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const ROOT = join(import.meta.dir, '..')

/**
 * The metrics the dashboard may query: the contract the metrics work implements (names and labels).
 * A histogram's `_count` and `_sum` come with its `_bucket`.
 */
const METRICS: Record<string, readonly string[]> = {
  http_request_duration_seconds_bucket: ['method', 'route', 'status', 'le'],
  http_request_duration_seconds_count: ['method', 'route', 'status'],
  http_requests_in_flight: [],
  auth_login_attempts_total: ['outcome'],
  auth_refresh_reuse_total: [],
  auth_tokens_issued_total: ['grant_type'],
  store_operation_duration_seconds_bucket: ['operation', 'le'],
  store_operation_errors_total: ['operation'],
  process_resident_memory_bytes: [],
  nodejs_eventloop_lag_seconds: [],
}
/** Labels every series has, from the scrape: Prometheus adds them. */
const TARGET_LABELS = ['job', 'instance']

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool'])
for (const word of ['and', 'or', 'unless', 'offset', 'inf', 'nan']) PROMQL_KEYWORDS.add(word)

/** The metric names `expr` reads: identifiers that are neither functions, keywords nor labels. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges such as [$__rate_interval]
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // grouping labels
  const names: string[] = []
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const isCall = bare
      .slice(match.index + match[0].length)
      .trimStart()
      .startsWith('(')
    if (!isCall && !PROMQL_KEYWORDS.has(match[0].toLowerCase())) names.push(match[0])
  }
  return names
}

/** The label names the matchers and groupings of `expr` use. */
function labelNames(expr: string): string[] {
  const stripped = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""')
  const inMatchers = [...stripped.matchAll(/\{([^}]*)\}/g)].flatMap((m) =>
    [...(m[1] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1] as string),
  )
  const inGroupings = [...stripped.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) =>
    (m[1] ?? '').split(',').map((l) => l.trim()),
  )
  return [...inMatchers, ...inGroupings].filter(Boolean)
}

/** The data source of every panel: the dashboard's `datasource` variable (Grafana's syntax, no template). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax
const PROMETHEUS_VARIABLE = { type: 'prometheus', uid: '${datasource}' }

// biome-ignore lint/suspicious/noExplicitAny: dashboard and compose files are loose JSON and YAML
type Json = any

const dashboard: Json = await Bun.file(join(ROOT, 'ops/grafana/mercado.json')).json()
const panels: Json[] = dashboard.panels.flatMap((panel: Json) => [panel, ...(panel.panels ?? [])])
const expressions: string[] = panels.flatMap((panel) => (panel.targets ?? []).map((t: Json) => t.expr))

describe('the Grafana dashboard', () => {
  test('reads the metric names out of PromQL', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{job=~"$job", status=~"5.."}[$__rate_interval])))',
      ),
    ).toEqual(['http_request_duration_seconds_bucket'])
    expect(metricNames('sum(a_total) / sum(rate(b_total[5m]))')).toEqual(['a_total', 'b_total'])
  })

  test('queries only the metrics of the contract, with their labels', () => {
    expect(expressions.length).toBeGreaterThanOrEqual(12)
    for (const expr of expressions) {
      const names = metricNames(expr)
      expect(names.length, expr).toBeGreaterThan(0)
      for (const name of names) {
        expect(Object.keys(METRICS), expr).toContain(name)
        for (const label of labelNames(expr))
          expect([...TARGET_LABELS, ...(METRICS[name] ?? [])], `${label} in ${expr}`).toContain(label)
      }
    }
  })

  test('covers every metric of the contract', () => {
    const used = new Set(expressions.flatMap(metricNames))
    expect([...used].sort()).toEqual(Object.keys(METRICS).sort())
  })

  test('draws every panel from the Prometheus data source variable', () => {
    const variable = dashboard.templating.list.find((v: Json) => v.type === 'datasource')
    expect(variable).toMatchObject({ name: 'datasource', query: 'prometheus' })
    for (const panel of panels.filter((p) => p.type !== 'row'))
      expect(panel.datasource, panel.title).toEqual(PROMETHEUS_VARIABLE)
  })
})

describe('compose.yaml', () => {
  const compose: Json = Bun.YAML.parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'))
  const monitoring = Object.entries(compose.services as Record<string, Json>).filter(([, service]) =>
    (service.profiles ?? []).includes('monitoring'),
  )

  test('runs Prometheus and Grafana in the monitoring profile, and nothing else changes profile', () => {
    expect(monitoring.map(([name]) => name).sort()).toEqual(['grafana', 'prometheus'])
    expect(compose.services.mercado.profiles).toBeUndefined()
    expect(compose.services.mongo.profiles).toBeUndefined()
  })

  test('mounts into the monitoring services only files and folders that exist', () => {
    const mounts = monitoring.flatMap(([, service]) =>
      (service.volumes as string[])
        .filter((volume) => volume.startsWith('./'))
        .map((v) => v.split(':')[0] as string),
    )
    expect(mounts.length).toBeGreaterThanOrEqual(4)
    for (const source of mounts) expect(existsSync(resolve(ROOT, source)), source).toBe(true)
  })

  test('scrapes mercado:3000/metrics with a bearer token from a file', async () => {
    const prometheus: Json = Bun.YAML.parse(await Bun.file(join(ROOT, 'ops/prometheus.yml')).text())
    const [job] = prometheus.scrape_configs
    expect(job).toMatchObject({
      metrics_path: '/metrics',
      authorization: { type: 'Bearer' },
      static_configs: [{ targets: ['mercado:3000'] }],
    })
    expect(job.authorization.credentials_file).toBeString()
  })
})
