import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  consistencyTokenSection,
  httpSection,
  kafkaSection,
  loadConfig,
  mysqlSection,
  runtimeSection,
  section,
  variable,
} from '@cqrs-shop/config';

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  const minimal = { MYSQL_USER: 'shop', MYSQL_PASSWORD: 'secret', KAFKA_BROKERS: 'localhost:9092' };
  const sections = {
    runtime: runtimeSection,
    http: httpSection({ port: { variable: 'COMMAND_PORT', default: 3001 } }),
    mysql: mysqlSection,
    kafka: kafkaSection,
  };

  it('turns environment variables into typed camelCase settings with documented defaults', () => {
    const config = loadConfig(sections, { ...minimal, COMMAND_PORT: '8080', SHUTDOWN_TIMEOUT: '2.5s' });
    expect(config.http).toEqual({ port: 8080, host: '0.0.0.0', bodyLimitBytes: 65_536 });
    expect(config.runtime).toEqual({ logLevel: 'info', shutdownTimeoutMs: 2_500 });
    expect(config.mysql).toMatchObject({
      host: '127.0.0.1',
      port: 3306,
      user: 'shop',
      database: 'shop',
      poolSize: 10,
    });
    expect(config.kafka.brokers).toEqual(['localhost:9092']);
  });

  it("gives the admin routes a listener of their own, on a port that is not the API's", () => {
    const withAdmin = {
      http: httpSection({
        port: { variable: 'COMMAND_PORT', default: 3001 },
        admin: { variable: 'COMMAND_ADMIN_PORT', default: 9001 },
      }),
    };
    expect(loadConfig(withAdmin, {}).http).toEqual({
      port: 3001,
      host: '0.0.0.0',
      bodyLimitBytes: 65_536,
      admin: { port: 9001, host: '0.0.0.0' },
    });
    expect(configErrorOf(() => loadConfig(withAdmin, { COMMAND_ADMIN_PORT: '3001' })).message).toContain(
      'COMMAND_ADMIN_PORT must differ from COMMAND_PORT',
    );
    // Both chosen at listening time (tests): no clash.
    expect(loadConfig(withAdmin, { COMMAND_PORT: '0', COMMAND_ADMIN_PORT: '0' }).http.admin.port).toBe(0);
  });

  it('takes TLS to MySQL and Kafka, with a CA read from its file, and SASL only when complete', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-tls-'));
    const ca = join(dir, 'ca.crt');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    try {
      const tls = {
        ...minimal,
        MYSQL_TLS: 'verify',
        MYSQL_TLS_CA_FILE: ca,
        KAFKA_TLS: 'true',
        KAFKA_TLS_CA_FILE: ca,
      };
      const config = loadConfig(sections, {
        ...tls,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'shop',
        KAFKA_SASL_PASSWORD: 'secret',
      });
      expect(config.mysql.ssl).toEqual({ rejectUnauthorized: true, ca: readFileSync(ca, 'utf8') });
      expect(config.kafka.tls).toEqual({ ca: readFileSync(ca, 'utf8') });
      expect(config.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'shop', password: 'secret' });
      expect(loadConfig(sections, { ...minimal, MYSQL_TLS: 'required' }).mysql.ssl).toEqual({
        rejectUnauthorized: false,
      });
      const plain = loadConfig(sections, minimal);
      expect([plain.mysql.ssl, plain.kafka.tls, plain.kafka.sasl]).toEqual([undefined, undefined, undefined]);

      const problems = configErrorOf(() =>
        loadConfig(sections, {
          ...minimal,
          MYSQL_TLS_CA_FILE: join(dir, 'missing.crt'),
          KAFKA_TLS_CA_FILE: ca,
          KAFKA_SASL_MECHANISM: 'plain',
        }),
      ).message;
      expect(problems).toContain('MYSQL_TLS_CA_FILE must name a file that exists and can be read');
      expect(problems).toContain('KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM=plain');
      expect(problems).toContain('KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM=plain');
      expect(problems).toContain(
        'KAFKA_SASL_MECHANISM plain sends the password as it is: set KAFKA_TLS=true',
      );
      expect(problems).toContain('KAFKA_TLS_CA_FILE is set but KAFKA_TLS is off; set KAFKA_TLS=true');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads rates as requests per duration, or off', () => {
    const rates = {
      r: section({ RATE: variable.rate({ default: { limit: 5, windowMs: 1_000 } }) }, (v) => v.RATE),
    };
    expect(loadConfig(rates, {}).r).toEqual({ limit: 5, windowMs: 1_000 });
    expect(loadConfig(rates, { RATE: '600/1m' }).r).toEqual({ limit: 600, windowMs: 60_000 });
    expect(loadConfig(rates, { RATE: '10/1.5s' }).r).toEqual({ limit: 10, windowMs: 1_500 });
    expect(loadConfig(rates, { RATE: 'off' }).r).toBeNull();
    for (const bad of ['600', '0/1m', '600/m', '600/500ms', 'many/1m'])
      expect(configErrorOf(() => loadConfig(rates, { RATE: bad })).message).toMatch(
        /RATE must (be a rate such as 600\/1m \(requests per duration\) or off|have a window of at least 1s)/,
      );
  });

  it('names every missing and invalid variable at once, and what was expected', () => {
    const error = configErrorOf(() =>
      loadConfig(sections, {
        MYSQL_PASSWORD: 'x',
        COMMAND_PORT: '70000',
        KAFKA_BROKERS: 'a:1,,b:2',
        LOG_LEVEL: 'loud',
      }),
    );
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual([
      'COMMAND_PORT',
      'KAFKA_BROKERS',
      'LOG_LEVEL',
      'MYSQL_USER',
    ]);
    expect(error.message).toContain('COMMAND_PORT must be a whole number from 0 to 65535 (got "70000")');
    expect(error.message).toContain('MYSQL_USER is required');
    expect(error.message).toContain(
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    );
  });

  it('never prints the value of a secret', () => {
    const error = configErrorOf(() =>
      loadConfig({ s: section({ API_TOKEN: variable.integer() }, (v) => v) }, { API_TOKEN: 'hunter2' }),
    );
    expect(error.message).toContain('API_TOKEN must be a whole number (value hidden)');
    expect(error.message).not.toContain('hunter2');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(sections, { ...minimal, COMMAND_PORT: '' }).http.port).toBe(3001);
    expect(configErrorOf(() => loadConfig(sections, { ...minimal, MYSQL_USER: '' })).message).toContain(
      'MYSQL_USER is required',
    );
  });

  it('rejects contradictions between variables, naming the variable', () => {
    const error = configErrorOf(() => loadConfig(sections, { ...minimal, KAFKA_BROKERS: 'localhost' }));
    expect(error.message).toContain('KAFKA_BROKERS must list brokers as host:port, separated by commas');
  });
});

describe('variables', () => {
  const parse = <T>(v: variable.Variable<T>, raw: string | undefined) => v.safeParse(raw);

  it.each([
    ['250ms', 250],
    ['2s', 2_000],
    ['1.5m', 90_000],
    ['1h', 3_600_000],
    ['300', 300],
  ])('reads the duration %s as %d ms', (raw, ms) => {
    expect(parse(variable.duration(), raw)).toEqual({ success: true, data: ms });
  });

  it.each(['fast', '-1s', '2 days', '1e3'])('rejects the duration %j', (raw) => {
    expect(parse(variable.duration(), raw).success).toBe(false);
  });

  it('reads booleans in their common spellings', () => {
    expect(
      ['true', 'YES', '1', 'false', 'no', '0'].map((raw) => parse(variable.boolean(), raw).data),
    ).toEqual([true, true, true, false, false, false]);
    expect(parse(variable.boolean(), 'maybe').success).toBe(false);
  });

  it('accepts only URLs with an allowed scheme', () => {
    const redisUrl = variable.url({ protocols: ['redis:'] });
    expect(parse(redisUrl, 'redis://localhost:6379').success).toBe(true);
    expect(parse(redisUrl, 'http://localhost:6379').error?.issues[0]?.message).toBe(
      'must be a URL starting with redis://',
    );
    expect(parse(redisUrl, 'not a url').success).toBe(false);
  });

  it('rejects fractional and non-numeric integers', () => {
    expect(parse(variable.integer(), '1.5').success).toBe(false);
    expect(parse(variable.integer(), '12abc').success).toBe(false);
    expect(parse(variable.integer({ min: 1 }), '0').error?.issues[0]?.message).toBe(
      'must be a whole number of at least 1',
    );
  });
});

describe('the consistency token keys', () => {
  const key = Buffer.alloc(32, 1).toString('base64');
  const load = (env: Record<string, string>) => loadConfig({ keys: consistencyTokenSection }, env).keys;

  it('reads a base64 key of 32 bytes or more, in either alphabet, and an optional previous one', () => {
    expect(load({ CONSISTENCY_TOKEN_KEY: key })).toEqual({
      current: Buffer.alloc(32, 1),
      previous: undefined,
    });
    const urlSafe = Buffer.alloc(33, 251).toString('base64url');
    expect(load({ CONSISTENCY_TOKEN_KEY: urlSafe, CONSISTENCY_TOKEN_PREVIOUS_KEY: key })).toEqual({
      current: Buffer.alloc(33, 251),
      previous: Buffer.alloc(32, 1),
    });
  });

  it('refuses a missing, short or non-base64 key, naming the variable and never echoing the value', () => {
    const messageOf = (env: Record<string, string>) => {
      try {
        load(env);
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
      return '';
    };
    expect(messageOf({})).toContain('CONSISTENCY_TOKEN_KEY is required');
    const short = Buffer.alloc(16, 9).toString('base64');
    expect(messageOf({ CONSISTENCY_TOKEN_KEY: short })).toContain(
      'CONSISTENCY_TOKEN_KEY must be base64 of at least 32 random bytes',
    );
    expect(messageOf({ CONSISTENCY_TOKEN_KEY: short })).not.toContain(short);
    expect(
      messageOf({ CONSISTENCY_TOKEN_KEY: key, CONSISTENCY_TOKEN_PREVIOUS_KEY: 'not base64!' }),
    ).toContain('CONSISTENCY_TOKEN_PREVIOUS_KEY must be base64');
  });
});
