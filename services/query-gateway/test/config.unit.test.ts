import { ConfigError } from '@cqrs-shop/config';
import { loadServiceConfig } from '../src/config';

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('the gateway configuration', () => {
  const stores = {
    MONGODB_URL: 'mongodb://127.0.0.1:27017',
    ELASTICSEARCH_URL: 'http://127.0.0.1:9200',
    REDIS_URL: 'redis://127.0.0.1:6379',
    AUTH_JWKS_URL: 'https://id.example.test/jwks',
    AUTH_ISSUER: 'https://id.example.test/',
    AUTH_AUDIENCE: 'cqrs-shop',
    CONSISTENCY_TOKEN_KEY: Buffer.alloc(32, 7).toString('base64'),
  };
  const withTemplate = (template: string) =>
    loadServiceConfig({ ...stores, TRACE_SEARCH_URL_TEMPLATE: template });
  const zipkin = 'http://127.0.0.1:9411/zipkin/?annotationQuery=command.id%3D{commandId}';

  it('has no trace links unless TRACE_SEARCH_URL_TEMPLATE is set', () => {
    expect(loadServiceConfig(stores).gateway.traceSearchUrlTemplate).toBeUndefined();
    expect(withTemplate('').gateway.traceSearchUrlTemplate).toBeUndefined();
  });

  it('takes an http(s) trace link template with a {commandId} placeholder', () => {
    expect(withTemplate(zipkin).gateway.traceSearchUrlTemplate).toBe(zipkin);
    const jaeger = 'https://tracing.example.com/search?tags=%7B%22command.id%22%3A%22{commandId}%22%7D';
    expect(withTemplate(jaeger).gateway.traceSearchUrlTemplate).toBe(jaeger);
  });

  it('refuses a trace link template without the placeholder, naming the variable', () => {
    const error = configErrorOf(() =>
      withTemplate('http://127.0.0.1:9411/zipkin/?annotationQuery=command.id'),
    );
    expect(error.issues).toEqual([
      {
        variable: 'TRACE_SEARCH_URL_TEMPLATE',
        message: 'must contain {commandId}, where the command id goes',
      },
    ]);
    expect(error.message).toContain('TRACE_SEARCH_URL_TEMPLATE must contain {commandId}');
  });

  it('refuses a trace link template that is not an http(s) URL', () => {
    for (const template of [
      'javascript:alert({commandId})',
      'ftp://traces.example.com/{commandId}',
      '{commandId}',
    ]) {
      const error = configErrorOf(() => withTemplate(template));
      expect(error.issues).toEqual([
        { variable: 'TRACE_SEARCH_URL_TEMPLATE', message: 'must be a URL starting with http:// or https://' },
      ]);
      expect(error.message).toContain(
        `TRACE_SEARCH_URL_TEMPLATE must be a URL starting with http:// or https://`,
      );
    }
  });
});
