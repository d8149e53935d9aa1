import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter as OTLPJsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as OTLPProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace'
import { Elysia } from 'elysia'
import { version } from '../../package.json'
import type { TracingConfig } from '../config'
import { RequestContextManager } from './context'
import type { OperationWrapper } from './store'

/*
 * Built on @opentelemetry/api and the SDK directly, not @elysiajs/opentelemetry (1.4.11): tried
 * on an app shaped like this one (a global onError that returns its own Response, CORS preflights
 * answered in onRequest), the plugin never ended the root span of a 404 from onError, named the
 * preflight's span "Root" with status 200 instead of 204, and it brings @opentelemetry/sdk-node
 * with every exporter (94 packages). Here the server span starts in the first onRequest and ends
 * in onAfterResponse, which Elysia runs for every answer: handler, onError or an early hook.
 */

/** One per process: the API's context manager is global, and set once. */
const requestContexts = new RequestContextManager()

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
}

export interface TracingOptions {
  /** Spans go here instead of the OTLP endpoint (tests), one by one as they end. */
  exporter?: SpanExporter
}

/**
 * Tracing (docs/api.md, Operation: Tracing): one server span per request named `<METHOD> <route>`,
 * continuing the caller's W3C `traceparent`, answered in the response's `traceparent`; child spans
 * for store calls (`observedStore`) and password hashing (core/passwords.ts, through the API).
 */
export class Tracing {
  private readonly provider: TracerProvider
  private readonly contexts = requestContexts
  private readonly tracer
  private readonly propagator = new W3CTraceContextPropagator()
  private readonly spans = new WeakMap<Request, Span>()

  constructor(config: TracingConfig, options: TracingOptions = {}) {
    const exporter =
      options.exporter ??
      (config.protocol === 'http/json'
        ? new OTLPJsonExporter({ url: config.endpoint, headers: config.headers })
        : new OTLPProtobufExporter({ url: config.endpoint, headers: config.headers }))
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': config.serviceName, 'service.version': version }),
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors: [
        options.exporter
          ? new SimpleSpanProcessor({ exporter })
          : new BatchSpanProcessor({ exporter, scheduledDelayMillis: config.scheduleDelayMs }),
      ],
    })
    // Global, so that core/passwords.ts (which may not import this area) reaches it through the API.
    // The API keeps the first provider a process registers (tests may build more: theirs get the
    // server and store spans, which do not go through the global one).
    trace.setGlobalTracerProvider(this.provider)
    context.setGlobalContextManager(requestContexts)
    propagation.setGlobalPropagator(this.propagator)
    this.tracer = this.provider.getTracer('mercado', version)
  }

  /** The trace id of `request`'s server span, for its access-log line. */
  readonly traceIdOf = (request: Request): string | undefined =>
    this.spans.get(request)?.spanContext().traceId

  /** Starts the server span (mount first) and ends it once the answer is sent, whatever answered. */
  plugin() {
    const { spans, tracer, propagator, contexts } = this
    return new Elysia({ name: 'tracing' })
      .onRequest(({ request, set }) => {
        const parent = request.headers.has('traceparent')
          ? propagator.extract(ROOT_CONTEXT, request.headers, headerGetter)
          : ROOT_CONTEXT
        const url = new URL(request.url)
        const span = tracer.startSpan(
          request.method,
          {
            kind: SpanKind.SERVER,
            attributes: {
              'http.request.method': request.method,
              'url.path': url.pathname,
              'url.scheme': 'http',
            },
          },
          parent,
        )
        spans.set(request, span)
        contexts.enter(trace.setSpan(parent, span))
        const { traceId, spanId, traceFlags } = span.spanContext()
        set.headers.traceparent = `00-${traceId}-${spanId}-0${traceFlags & 1}`
      })
      .onAfterResponse({ as: 'global' }, ({ request, route, set, responseValue }) => {
        const span = spans.get(request)
        if (!span) return
        const raw = responseValue instanceof Response ? responseValue.status : set.status
        const status = typeof raw === 'number' ? raw : 200
        if (route) {
          span.updateName(`${request.method} ${route}`)
          span.setAttribute('http.route', route)
        }
        span.setAttribute('http.response.status_code', status)
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
        span.end()
      })
  }

  /** Runs each store call in a child span named after its operation (`users.findById`). */
  storeSpans(system: string): OperationWrapper {
    const tracer = this.tracer
    return <T>(operation: string, call: () => T): T =>
      tracer.startActiveSpan(
        operation,
        { kind: SpanKind.CLIENT, attributes: { 'db.system.name': system, 'db.operation.name': operation } },
        (span) => {
          const fail = (error: unknown) => {
            span.recordException(error as Error)
            span.setStatus({ code: SpanStatusCode.ERROR })
          }
          try {
            const result = call()
            if (result instanceof Promise) {
              return result.then(
                (value) => {
                  span.end()
                  return value
                },
                (error) => {
                  fail(error)
                  span.end()
                  throw error
                },
              ) as T
            }
            span.end()
            return result
          } catch (error) {
            fail(error)
            span.end()
            throw error
          }
        },
      )
  }

  /** Sends the spans still buffered; at shutdown. */
  shutdown(): Promise<void> {
    return this.provider.shutdown()
  }
}
