export {
  Counter,
  createMetricsRegistry,
  Gauge,
  Histogram,
  LAG_BUCKETS,
  LATENCY_BUCKETS,
  type MetricsRegistry,
} from './metrics.js';
export {
  packageVersion,
  ReadsSampler,
  startTelemetry,
  type Telemetry,
  type TelemetryOptions,
} from './sdk.js';
export { loadTelemetrySettings, telemetrySection, type TelemetrySettings } from './settings.js';
export {
  activeContext,
  activeSpan,
  type Context,
  contextOf,
  inSpan,
  type Link,
  markFailed,
  nameHttpRoute,
  ROOT_CONTEXT,
  type Span,
  SPAN_ATTRIBUTES,
  type SpanContext,
  spanContextOf,
  SpanKind,
  startSpan,
  suiteTracer,
  traceIdsOf,
  traceparentOf,
  withContext,
} from './spans.js';
