import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { ConfigError, type Environment } from '@cqrs-shop/config';
import { SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import { loadTelemetrySettings, type TelemetrySettings } from './settings.js';

/** Exit status for a configuration error (EX_CONFIG in sysexits.h), as for the services' own settings. */
const EXIT_CONFIG = 78;

/** Probes, scrapes and status polls: frequent, uninteresting, and they would drown the real traces. */
const UNTRACED_PATHS = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/projection',
  '/projection/lag',
  '/projections',
  '/ops/settings',
]);

export interface TelemetryOptions {
  /** `service.name` of every span, unless OTEL_SERVICE_NAME says otherwise. */
  readonly service: string;
  readonly version: string;
  /**
   * Whether kafkajs is instrumented. The outbox relay and the projectors turn it off: the relay
   * sends one batch of events from many traces at once, and the instrumentation would put every
   * message into the trace of the batch; the relay starts each message's span in its own
   * command's trace itself, and a projector each batch's span in its event's trace.
   * @default true
   */
  readonly instrumentKafka?: boolean;
  readonly env?: Environment;
}

export interface Telemetry {
  /** Whether spans are exported. */
  readonly tracing: boolean;
  /** Sends the spans still buffered; called last on shutdown. */
  readonly shutdown: () => Promise<void>;
}

/**
 * Keeps traces as the configured sampler says, and of the traces that reads start at most a share
 * (`readsRatio`). A gateway answers thousands of reads a second, each cheap: traced all, their
 * spans cost more than the reads (at 100 %, exporting them took the collector and Zipkin as much
 * CPU as the gateway's own work), while commands, rarer and the interesting part of a trace, stay
 * traced by the usual rule. A read that continues a caller's trace follows it.
 */
export class ReadsSampler implements Sampler {
  private readonly reads: Sampler;

  constructor(
    readsRatio: number,
    private readonly others: Sampler,
  ) {
    this.reads = new TraceIdRatioBasedSampler(readsRatio);
  }

  shouldSample(...args: Parameters<Sampler['shouldSample']>): ReturnType<Sampler['shouldSample']> {
    const [parentContext, , , kind, attributes] = args;
    const startsRead =
      kind === SpanKind.SERVER &&
      trace.getSpanContext(parentContext) === undefined &&
      READ_METHODS.has(String(attributes[ATTR_HTTP_REQUEST_METHOD]));
    const configured = this.others.shouldSample(...args);
    // Both decide by the trace id: a read is kept at the lower of the two ratios.
    if (!startsRead || configured.decision !== SamplingDecision.RECORD_AND_SAMPLED) return configured;
    return this.reads.shouldSample(...args);
  }

  toString(): string {
    return `ReadsSampler{reads=${this.reads.toString()}, others=${this.others.toString()}}`;
  }
}

const READ_METHODS = new Set(['GET', 'HEAD']);

function samplerOf(settings: TelemetrySettings): Sampler {
  return new ReadsSampler(settings.readsRatio, configuredSampler(settings));
}

function configuredSampler(settings: TelemetrySettings): Sampler {
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(settings.samplerRatio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.samplerRatio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function pathOf(url: string | undefined): string {
  return (url ?? '').split('?')[0] ?? '';
}

/**
 * `db.query.text` of a Redis span: the command and its first key, never values. The
 * instrumentation's default writes out every argument of EVAL: the whole Lua script and, for a
 * projector's batch, the JSON of every order in it, on every span.
 */
export function redisStatement(command: string, args: readonly unknown[]): string {
  const name = command.toUpperCase();
  if (name === 'EVAL' || name === 'EVALSHA') {
    const keyCount = Number(args[1] ?? 0);
    const keys = args.slice(2, 2 + keyCount).map(String);
    const first = keys[0] === undefined ? '' : ` ${keys[0]}`;
    return `${name} ${name === 'EVAL' ? '<script>' : String(args[0])} ${keyCount}${first}${keyCount > 1 ? ` [${keyCount - 1} more keys]` : ''}`;
  }
  const [key] = args;
  if (typeof key !== 'string' && !Buffer.isBuffer(key)) return name;
  return `${name} ${key.toString()}${args.length > 1 ? ` [${args.length - 1} more arguments]` : ''}`;
}

/**
 * `db.query.text` of a MongoDB span: the command's shape without its values (fields, operators),
 * to three levels, and a count for each list. The instrumentation's default walks every value of
 * the command, every document of a bulk write included, for each span.
 */
export function mongoStatementShape(command: Record<string, unknown>): string {
  const shape = (value: unknown, depth: number): unknown => {
    if (Array.isArray(value)) return `[${value.length}]`;
    if (typeof value !== 'object' || value === null) return '?';
    if (depth === 0) return '{…}';
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, shape(inner, depth - 1)]));
  };
  return JSON.stringify(shape(command, 3));
}

/**
 * Starts OpenTelemetry tracing for a service, before the libraries it instruments are loaded:
 * import the module that calls this first in the service's entry point. With no endpoint
 * configured it starts nothing, and every span the suite asks for is a free no-op.
 *
 * Spans leave in batches on a timer, never on a request's path: an unreachable or slow trace
 * backend costs dropped spans (the queue is bounded), not slower commands.
 *
 * A bad setting ends the process with status 78 and a message naming the variable.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  let settings: TelemetrySettings;
  try {
    settings = loadTelemetrySettings(options.env ?? process.env).telemetry;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${options.service}: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  if (settings.tracesUrl === undefined) return { tracing: false, shutdown: () => Promise.resolve() };

  const exporter = new OTLPTraceExporter({
    url: settings.tracesUrl,
    timeoutMillis: settings.exportTimeoutMs,
  });
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      ...settings.resourceAttributes,
      [ATTR_SERVICE_NAME]: settings.serviceName ?? options.service,
      [ATTR_SERVICE_VERSION]: options.version,
      'service.instance.id': `${hostname()}:${process.pid}`,
    }),
    autoDetectResources: false,
    textMapPropagator: new W3CTraceContextPropagator(),
    sampler: samplerOf(settings),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        maxQueueSize: 8_192,
        maxExportBatchSize: 512,
        scheduledDelayMillis: 500,
        exportTimeoutMillis: settings.exportTimeoutMs,
      }),
    ],
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has(pathOf(request.url)),
        ignoreOutgoingRequestHook: (request: RequestOptions) =>
          UNTRACED_PATHS.has(pathOf(request.path ?? '')),
      }),
      // No express instrumentation: it wraps every layer of every request, for spans that say
      // little beyond the route, which @cqrs-shop/http puts on the server span itself
      // (nameHttpRoute). Without it a cached read cost the gateway about a fifth less CPU.
      new MySQL2Instrumentation(),
      new MongoDBInstrumentation({ dbStatementSerializer: mongoStatementShape }),
      new IORedisInstrumentation({ dbStatementSerializer: redisStatement }),
      ...(options.instrumentKafka === false ? [] : [new KafkaJsInstrumentation()]),
    ],
  });
  sdk.start();
  return { tracing: true, shutdown: () => sdk.shutdown() };
}

/** The `version` of the package.json one folder above `dir` (a service's dist/), for `service.version`. */
export function packageVersion(dir: string): string {
  try {
    return (
      (JSON.parse(readFileSync(join(dir, '..', 'package.json'), 'utf8')) as { version?: string }).version ??
      'unknown'
    );
  } catch {
    return 'unknown';
  }
}
