import { readFileSync } from 'node:fs';
import { section } from './load.js';
import * as variable from './variables.js';

/** Settings shared by every service: log level and how long a graceful shutdown may take. */
export const runtimeSection = section(
  {
    LOG_LEVEL: variable.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      default: 'info',
    }),
    /** Upper bound for a graceful shutdown. @default 10s */
    SHUTDOWN_TIMEOUT: variable.duration({ default: 10_000 }),
  },
  (v) => ({ logLevel: v.LOG_LEVEL, shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT }),
);

/** A listener's port: the variable that sets it (the service's own, e.g. COMMAND_PORT) and its default. */
export interface PortSetting {
  readonly variable: string;
  readonly default: number;
}

/**
 * A service's HTTP listener and a second one for the admin routes (metrics, operations): its own port,
 * which no Ingress routes and network policies open to monitoring only.
 */
export function httpSection(listeners: {
  readonly port: PortSetting;
  readonly admin: PortSetting;
}): ReturnType<typeof listenerSectionWithAdmin>;
/** A service's one HTTP listener. Both take the service's registry entry. */
export function httpSection(listeners: { readonly port: PortSetting }): ReturnType<typeof listenerSection>;
export function httpSection({ port, admin }: { readonly port: PortSetting; readonly admin?: PortSetting }) {
  return admin ? listenerSectionWithAdmin(port, admin) : listenerSection(port);
}

const listenerVariables = (port: PortSetting) => ({
  [port.variable]: variable.port(port.default),
  HTTP_HOST: variable.string({ default: '0.0.0.0' }),
  /** Largest accepted request body. @default 65536 bytes */
  HTTP_BODY_LIMIT_BYTES: variable.integer({ min: 1_024, max: 10_485_760, default: 65_536 }),
});

function listenerSection(port: PortSetting) {
  return section(listenerVariables(port), (v) => ({
    port: v[port.variable] as number,
    host: v.HTTP_HOST,
    bodyLimitBytes: v.HTTP_BODY_LIMIT_BYTES,
  }));
}

function listenerSectionWithAdmin(port: PortSetting, admin: PortSetting) {
  return section(
    { ...listenerVariables(port), [admin.variable]: variable.port(admin.default) },
    (v) => ({
      port: v[port.variable] as number,
      host: v.HTTP_HOST,
      bodyLimitBytes: v.HTTP_BODY_LIMIT_BYTES,
      admin: { port: v[admin.variable] as number, host: v.HTTP_HOST },
    }),
    (v) =>
      v[port.variable] !== 0 && v[port.variable] === v[admin.variable]
        ? [
            {
              variable: admin.variable,
              message: `must differ from ${port.variable}: the admin routes need a port of their own`,
            },
          ]
        : [],
  );
}

export const mysqlSection = section(
  {
    MYSQL_HOST: variable.string({ default: '127.0.0.1' }),
    MYSQL_PORT: variable.port(3306),
    MYSQL_USER: variable.string(),
    MYSQL_PASSWORD: variable.string(),
    MYSQL_DATABASE: variable.string({ default: 'shop' }),
    /** Connections in the pool. @default 10 */
    MYSQL_POOL_SIZE: variable.integer({ min: 1, max: 500, default: 10 }),
    /**
     * TLS to the server: `off`, `required` (encrypted, the server's certificate not checked) or
     * `verify` (encrypted, and the certificate must be valid for MYSQL_HOST). @default off
     */
    MYSQL_TLS: variable.oneOf(['off', 'required', 'verify'], { default: 'off' }),
    /** PEM file of the CA that signed the server's certificate. @default the system's CAs */
    MYSQL_TLS_CA_FILE: variable.readableFile({ default: '' }),
  },
  (v) => ({
    host: v.MYSQL_HOST,
    port: v.MYSQL_PORT,
    user: v.MYSQL_USER,
    password: v.MYSQL_PASSWORD,
    database: v.MYSQL_DATABASE,
    poolSize: v.MYSQL_POOL_SIZE,
    // In the shape mysql2 takes, so that `{ ...settings }` carries it to every connection.
    ...(v.MYSQL_TLS === 'off'
      ? {}
      : {
          ssl: {
            rejectUnauthorized: v.MYSQL_TLS === 'verify',
            ...(v.MYSQL_TLS_CA_FILE === '' ? {} : { ca: readFileSync(v.MYSQL_TLS_CA_FILE, 'utf8') }),
          },
        }),
  }),
  (v) =>
    v.MYSQL_TLS === 'off' && v.MYSQL_TLS_CA_FILE !== ''
      ? [{ variable: 'MYSQL_TLS_CA_FILE', message: 'is set but MYSQL_TLS is off; set MYSQL_TLS=verify' }]
      : [],
);

/** Where one MySQL connection goes, and how (the connection part of the mysql section). */
export interface MysqlConnectionSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** TLS, as mysql2 takes it (see MYSQL_TLS); none: plain TCP. */
  readonly ssl?: { readonly rejectUnauthorized: boolean; readonly ca?: string };
}

/** The options of one connection to MySQL, as mysql2 takes them (TLS included when set). */
export function mysqlConnection(settings: MysqlConnectionSettings) {
  const { host, port, user, password, database, ssl } = settings;
  return { host, port, user, password, database, ...(ssl ? { ssl: { ...ssl } } : {}) };
}

export const kafkaSection = section(
  {
    /** Bootstrap brokers, `host:port` separated by commas. */
    KAFKA_BROKERS: variable.list(),
    KAFKA_CLIENT_ID: variable.string({ default: 'cqrs-shop' }),
    /** Time to establish a broker connection. @default 3s */
    KAFKA_CONNECTION_TIMEOUT: variable.duration({ default: 3_000 }),
    /** Time for one broker request. @default 30s */
    KAFKA_REQUEST_TIMEOUT: variable.duration({ default: 30_000 }),
    /** Retries of a failed broker request; the pause doubles from 200 ms up to 2 s. @default 8 */
    KAFKA_RETRIES: variable.integer({ min: 0, max: 100, default: 8 }),
    /** Put before every topic name, to run several suites on one cluster. @default (none) */
    KAFKA_TOPIC_PREFIX: variable.string({ default: '' }),
    /** TLS to the brokers (the certificate is always checked). @default false */
    KAFKA_TLS: variable.boolean({ default: false }),
    /** PEM file of the CA that signed the brokers' certificates (Strimzi: the cluster CA). @default the system's CAs */
    KAFKA_TLS_CA_FILE: variable.readableFile({ default: '' }),
    /** SASL authentication: `none`, `scram-sha-256`, `scram-sha-512` or `plain` (over TLS only). @default none */
    KAFKA_SASL_MECHANISM: variable.oneOf(['none', 'scram-sha-256', 'scram-sha-512', 'plain'], {
      default: 'none',
    }),
    KAFKA_SASL_USERNAME: variable.string({ default: '' }),
    KAFKA_SASL_PASSWORD: variable.string({ default: '' }),
  },
  (v) => ({
    brokers: v.KAFKA_BROKERS,
    clientId: v.KAFKA_CLIENT_ID,
    connectionTimeoutMs: v.KAFKA_CONNECTION_TIMEOUT,
    requestTimeoutMs: v.KAFKA_REQUEST_TIMEOUT,
    retries: v.KAFKA_RETRIES,
    topicPrefix: v.KAFKA_TOPIC_PREFIX,
    ...(v.KAFKA_TLS
      ? { tls: v.KAFKA_TLS_CA_FILE === '' ? {} : { ca: readFileSync(v.KAFKA_TLS_CA_FILE, 'utf8') } }
      : {}),
    ...(v.KAFKA_SASL_MECHANISM === 'none'
      ? {}
      : {
          sasl: {
            mechanism: v.KAFKA_SASL_MECHANISM,
            username: v.KAFKA_SASL_USERNAME,
            password: v.KAFKA_SASL_PASSWORD,
          },
        }),
  }),
  (v) => [
    ...(v.KAFKA_BROKERS.every((broker) => /^[^:\s]+:\d{1,5}$/.test(broker))
      ? []
      : [{ variable: 'KAFKA_BROKERS', message: 'must list brokers as host:port, separated by commas' }]),
    ...(v.KAFKA_SASL_MECHANISM !== 'none' && v.KAFKA_SASL_USERNAME === ''
      ? [
          {
            variable: 'KAFKA_SASL_USERNAME',
            message: `is required with KAFKA_SASL_MECHANISM=${v.KAFKA_SASL_MECHANISM}`,
          },
        ]
      : []),
    ...(v.KAFKA_SASL_MECHANISM !== 'none' && v.KAFKA_SASL_PASSWORD === ''
      ? [
          {
            variable: 'KAFKA_SASL_PASSWORD',
            message: `is required with KAFKA_SASL_MECHANISM=${v.KAFKA_SASL_MECHANISM}`,
          },
        ]
      : []),
    ...(v.KAFKA_SASL_MECHANISM === 'plain' && !v.KAFKA_TLS
      ? [
          {
            variable: 'KAFKA_SASL_MECHANISM',
            message: 'plain sends the password as it is: set KAFKA_TLS=true',
          },
        ]
      : []),
    ...(!v.KAFKA_TLS && v.KAFKA_TLS_CA_FILE !== ''
      ? [{ variable: 'KAFKA_TLS_CA_FILE', message: 'is set but KAFKA_TLS is off; set KAFKA_TLS=true' }]
      : []),
  ],
);

export const mongodbSection = section(
  {
    MONGODB_URL: variable.url({ protocols: ['mongodb:', 'mongodb+srv:'] }),
    MONGODB_DATABASE: variable.string({ default: 'shop' }),
  },
  (v) => ({ url: v.MONGODB_URL, database: v.MONGODB_DATABASE }),
);

export const elasticsearchSection = section(
  {
    ELASTICSEARCH_URL: variable.url({ protocols: ['http:', 'https:'] }),
    /** Prefix of every index and alias the suite creates. @default shop */
    ELASTICSEARCH_INDEX_PREFIX: variable.string({ default: 'shop' }),
  },
  (v) => ({ url: v.ELASTICSEARCH_URL, indexPrefix: v.ELASTICSEARCH_INDEX_PREFIX }),
);

export const redisSection = section(
  {
    REDIS_URL: variable.url({ protocols: ['redis:', 'rediss:'] }),
    /** Prefix of every key the suite writes. @default shop: */
    REDIS_KEY_PREFIX: variable.string({ default: 'shop:' }),
  },
  (v) => ({ url: v.REDIS_URL, keyPrefix: v.REDIS_KEY_PREFIX }),
);

/**
 * The keys consistency tokens are signed with (from a Secret): the command service signs with
 * the current one; the gateway accepts either, so that a rotation breaks no token in flight.
 */
export const consistencyTokenSection = section(
  {
    CONSISTENCY_TOKEN_KEY: variable.base64Key({ minBytes: 32 }),
    /** The key before the last rotation, accepted for a while. @default none */
    CONSISTENCY_TOKEN_PREVIOUS_KEY: variable.base64Key({ minBytes: 32, optional: true }),
  },
  (v) => ({ current: v.CONSISTENCY_TOKEN_KEY, previous: v.CONSISTENCY_TOKEN_PREVIOUS_KEY ?? undefined }),
);
