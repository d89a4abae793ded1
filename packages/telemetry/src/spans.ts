import {
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { getRPCMetadata, RPCType, W3CTraceContextPropagator } from '@opentelemetry/core';

/** Span attribute names of the suite's own, beside the OpenTelemetry semantic conventions. */
export const SPAN_ATTRIBUTES = {
  commandId: 'command.id',
  commandType: 'command.type',
  correlationId: 'correlation.id',
  aggregateType: 'aggregate.type',
  aggregateId: 'aggregate.id',
  eventId: 'event.id',
  eventType: 'event.type',
  outcome: 'outcome',
  projection: 'projection',
  /** Time from the event's commit to this span's start: the wait across the asynchronous boundary. */
  waitedMs: 'waited.ms',
} as const;

export {
  type Context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
} from '@opentelemetry/api';
import type { SpanContext } from '@opentelemetry/api';

/** The context of the work in hand, to continue it later from elsewhere (a shared request). */
export function activeContext(): Context {
  return context.active();
}

/** Runs `work` with `of` as the active context. */
export function withContext<T>(of: Context, work: () => T): T {
  return context.with(of, work);
}

/** The span of the work in hand, if any is being traced. */
export function activeSpan(): Span | undefined {
  return trace.getActiveSpan();
}

/**
 * Names the HTTP request in hand after the route that serves it (`/orders/:orderId`): its server
 * span becomes `GET /orders/:orderId` with `http.route`, as the express instrumentation would make
 * it, without that instrumentation's cost on every request.
 */
export function nameHttpRoute(route: string): void {
  const metadata = getRPCMetadata(context.active());
  if (metadata?.type === RPCType.HTTP) metadata.route = route;
}

/** The suite's spans: commands, the outbox, publishing and projecting. */
export function suiteTracer(): Tracer {
  return trace.getTracer('cqrs-shop');
}

const propagator = new W3CTraceContextPropagator();
type Carrier = Record<string, string>;
const getter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};
const setter: TextMapSetter<Carrier> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * The W3C `traceparent` of a context's span, to be stored or sent where a context cannot
 * travel by itself (an outbox row, a Kafka header); undefined without a valid span.
 */
export function traceparentOf(of: Context = context.active()): string | undefined {
  const carrier: Carrier = {};
  propagator.inject(of, carrier, setter);
  return carrier.traceparent;
}

/** A context whose span is the one a stored `traceparent` names; the root context for none or an invalid one. */
export function contextOf(traceparent: string | null | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, { traceparent }, getter);
}

/** The span context a stored `traceparent` names, to link to; undefined for none or an invalid one. */
export function spanContextOf(traceparent: string | null | undefined): SpanContext | undefined {
  const spanContext = trace.getSpanContext(contextOf(traceparent));
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** The trace and span ids of a context's span, for log lines; undefined without a valid span. */
export function traceIdsOf(of: Context = context.active()): { traceId: string; spanId: string } | undefined {
  const spanContext = trace.getSpanContext(of);
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}

/**
 * Runs `work` in a new span, active for everything it calls, under `parent` (by default the
 * active context). A throw marks the span failed with the error recorded; the span ends either way.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions & { parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const started = startSpan(name, options);
  const { span } = started;
  try {
    return await context.with(started.context, () => work(span));
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Starts a span that the caller ends, under `parent`, for work that is not one function call
 * (a message from its send to its acknowledgement). Returns the context to run children in.
 */
export function startSpan(
  name: string,
  options: SpanOptions & { parent?: Context },
): { span: Span; context: Context } {
  const { parent = context.active(), ...spanOptions } = options;
  const span = suiteTracer().startSpan(name, spanOptions, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Records an error on a span and marks it failed. */
export function markFailed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}
