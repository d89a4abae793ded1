import { ConfigError } from '@cqrs-shop/config';
import { loadTelemetrySettings } from '@cqrs-shop/telemetry';

describe('tracing settings', () => {
  it('leave tracing off when no endpoint is configured', () => {
    expect(loadTelemetrySettings({}).telemetry.tracesUrl).toBeUndefined();
  });

  it('send traces to <endpoint>/v1/traces, or to the traces endpoint when one is given', () => {
    expect(
      loadTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).telemetry.tracesUrl,
    ).toBe('http://collector:4318/v1/traces');
    expect(
      loadTelemetrySettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp/v1/traces',
      }).telemetry.tracesUrl,
    ).toBe('https://traces.example.com/otlp/v1/traces');
  });

  it('turn tracing off with OTEL_SDK_DISABLED even when an endpoint is set', () => {
    expect(
      loadTelemetrySettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_SDK_DISABLED: 'true',
      }).telemetry.tracesUrl,
    ).toBeUndefined();
  });

  it('read the sampler and resource attributes the OpenTelemetry way', () => {
    const { telemetry } = loadTelemetrySettings({
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      TRACE_READS_RATIO: '0.05',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod, team=shop%20core',
    });
    expect(telemetry).toMatchObject({
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      readsRatio: 0.05,
      resourceAttributes: { 'deployment.environment.name': 'prod', team: 'shop core' },
    });
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318', 'must be a URL starting with http:// or https://'],
    ['OTEL_TRACES_SAMPLER', 'sometimes', 'must be one of'],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5', 'must be a ratio from 0 to 1'],
    ['TRACE_READS_RATIO', '10%', 'must be a ratio from 0 to 1'],
    ['OTEL_RESOURCE_ATTRIBUTES', 'prod', 'must be key=value pairs'],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', 'soon', 'must be a duration'],
  ])('refuse %s=%s with a message naming the variable', (variable, value, message) => {
    const load = () => loadTelemetrySettings({ [variable]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`${variable}.*${message}`));
  });
});
