import { type Environment, loadConfig, section, variable } from '@cqrs-shop/config';

const SAMPLERS = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
] as const;

export type SamplerName = (typeof SAMPLERS)[number];

/** A ratio from 0 to 1: `0`, `0.25`, `1`. */
const RATIO = /^(0(\.\d+)?|1(\.0+)?)$/;

/** `key=value` pairs separated by commas, values percent-encoded, as the OpenTelemetry spec writes them. */
const RESOURCE_ATTRIBUTE = /^[^=,\s]+=[^=,]*$/;

/**
 * Tracing settings, under the names the OpenTelemetry specification gives them, so that the
 * usual deployment conventions work unchanged. Tracing is off until an endpoint is set.
 */
export const telemetrySection = section(
  {
    /** Base URL of an OTLP/HTTP receiver; traces go to `<url>/v1/traces`. @default (tracing off) */
    OTEL_EXPORTER_OTLP_ENDPOINT: variable.url({ protocols: ['http:', 'https:'], default: '' }),
    /** Full URL for traces only; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: variable.url({ protocols: ['http:', 'https:'], default: '' }),
    /** How long one export may take before it is dropped. @default 10s */
    OTEL_EXPORTER_OTLP_TIMEOUT: variable.duration({ default: 10_000, max: 60_000 }),
    OTEL_SDK_DISABLED: variable.boolean({ default: false }),
    /** Overrides the service's own name in every span. */
    OTEL_SERVICE_NAME: variable.string({ default: '' }),
    /** Extra resource attributes, e.g. `deployment.environment.name=prod,k8s.pod.name=gateway-7c9`. */
    OTEL_RESOURCE_ATTRIBUTES: variable.string({ default: '' }),
    OTEL_TRACES_SAMPLER: variable.oneOf(SAMPLERS, { default: 'parentbased_always_on' }),
    /** The ratio of the `*traceidratio` samplers, from 0 to 1. @default 1 */
    OTEL_TRACES_SAMPLER_ARG: variable.string({ default: '1' }),
    /**
     * The most of the reads (HTTP GET and HEAD requests that start a trace) that are traced, from
     * 0 to 1, within what OTEL_TRACES_SAMPLER keeps; every other trace is kept as it says. @default 0.1
     */
    TRACE_READS_RATIO: variable.string({ default: '0.1' }),
  },
  (v) => {
    const endpoint =
      v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
      (v.OTEL_EXPORTER_OTLP_ENDPOINT ? `${v.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : '');
    return {
      /** Where spans are sent; undefined when tracing is off. */
      tracesUrl: v.OTEL_SDK_DISABLED || endpoint === '' ? undefined : endpoint,
      exportTimeoutMs: v.OTEL_EXPORTER_OTLP_TIMEOUT,
      serviceName: v.OTEL_SERVICE_NAME || undefined,
      resourceAttributes: parseResourceAttributes(v.OTEL_RESOURCE_ATTRIBUTES),
      sampler: v.OTEL_TRACES_SAMPLER,
      samplerRatio: Number(v.OTEL_TRACES_SAMPLER_ARG),
      readsRatio: Number(v.TRACE_READS_RATIO),
    };
  },
  (v) => [
    ...(['OTEL_TRACES_SAMPLER_ARG', 'TRACE_READS_RATIO'] as const).flatMap((variable) =>
      RATIO.test(v[variable].trim())
        ? []
        : [{ variable, message: 'must be a ratio from 0 to 1, such as 0.25' }],
    ),
    ...(v.OTEL_RESOURCE_ATTRIBUTES === '' ||
    v.OTEL_RESOURCE_ATTRIBUTES.split(',').every((pair) => RESOURCE_ATTRIBUTE.test(pair.trim()))
      ? []
      : [
          {
            variable: 'OTEL_RESOURCE_ATTRIBUTES',
            message: 'must be key=value pairs separated by commas, such as deployment.environment.name=prod',
          },
        ]),
  ],
);

function parseResourceAttributes(text: string): Record<string, string> {
  if (text === '') return {};
  return Object.fromEntries(
    text.split(',').map((pair) => {
      const [key = '', value = ''] = pair.trim().split('=');
      return [key, decodeURIComponent(value)];
    }),
  );
}

export type TelemetrySettings = ReturnType<typeof loadTelemetrySettings>['telemetry'];

/** @throws {import('@cqrs-shop/config').ConfigError} naming every bad variable */
export function loadTelemetrySettings(env: Environment) {
  return loadConfig({ telemetry: telemetrySection }, env);
}
