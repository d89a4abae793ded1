// The transport settings production uses, against real servers: MariaDB serving TLS with the
// local stack's certificate authority, and Kafka's SASL_SSL listener (TLS, SCRAM-SHA-512).
// Settings are loaded with the services' own sections, so a wrong variable fails here as it
// would at a service's start.
import { kafkaSection, loadConfig, mysqlConnection, mysqlSection } from '@cqrs-shop/config';
import { createKafkaClients } from '@cqrs-shop/kafka';
import { createLogger } from '@cqrs-shop/logging';
import { readTopics } from '@cqrs-shop/testing';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { writeSide, type WriteSide } from './support';

const logger = createLogger({ service: 'transport-tls-test', level: 'silent' });
const env = () => process.env as Record<string, string>;

/** The variables a deployment sets for TLS to MySQL. */
const mysqlTls = () => ({ MYSQL_TLS: 'verify', MYSQL_TLS_CA_FILE: env().LOCAL_TLS_CA_FILE ?? '' });
/** … and for SASL_SSL to Kafka. */
const kafkaTls = () => ({
  KAFKA_BROKERS: env().LOCAL_KAFKA_SASL_SSL_BROKERS ?? '',
  KAFKA_TLS: 'true',
  KAFKA_TLS_CA_FILE: env().LOCAL_TLS_CA_FILE ?? '',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: env().LOCAL_KAFKA_SASL_USERNAME ?? '',
  KAFKA_SASL_PASSWORD: env().LOCAL_KAFKA_SASL_PASSWORD ?? '',
});

async function tlsVersionOf(settings: Record<string, string>): Promise<string> {
  const { mysql } = loadConfig({ mysql: mysqlSection }, { ...env(), ...settings });
  const { host, port, user, password, database, ssl } = mysql;
  const connection = await createConnection({
    host,
    port,
    user,
    password,
    database,
    ...(ssl ? { ssl } : {}),
  });
  try {
    const [rows] = await connection.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_version'");
    return String(rows[0]?.Value ?? '');
  } finally {
    await connection.end();
  }
}

async function listTopicsWith(settings: Record<string, string>): Promise<string[]> {
  const { kafka } = loadConfig({ kafka: kafkaSection }, { ...env(), KAFKA_RETRIES: '0', ...settings });
  const clients = createKafkaClients(kafka, logger);
  try {
    const admin = clients.admin();
    await admin.connect();
    return await admin.listTopics();
  } finally {
    await clients.close();
  }
}

async function globalTlsAccepts(): Promise<number> {
  const { mysql } = loadConfig({ mysql: mysqlSection }, env());
  const connection = await createConnection(mysqlConnection(mysql));
  try {
    const [rows] = await connection.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Ssl_accepts'");
    return Number(rows[0]?.Value ?? 0);
  } finally {
    await connection.end();
  }
}

describe('MySQL over TLS (real MariaDB)', () => {
  it('encrypts a verified connection with the CA given, and refuses to verify without it', async () => {
    expect(await tlsVersionOf(mysqlTls())).toMatch(/^TLSv1\.[23]$/);
    // The server's certificate is signed by the stack's own CA, which the system does not trust.
    await expect(tlsVersionOf({ MYSQL_TLS: 'verify' })).rejects.toThrow(
      /self[- ]signed|unable to (get|verify)/i,
    );
    // `required` encrypts without checking who answers.
    expect(await tlsVersionOf({ MYSQL_TLS: 'required' })).toMatch(/^TLSv1\.[23]$/);
    // Off: plain TCP.
    expect(await tlsVersionOf({})).toBe('');
  });
});

describe('Kafka over SASL_SSL with SCRAM-SHA-512 (real broker)', () => {
  it('authenticates the configured user over a verified TLS connection, and refuses a wrong password or an unknown CA', async () => {
    expect(Array.isArray(await listTopicsWith(kafkaTls()))).toBe(true);
    await expect(listTopicsWith({ ...kafkaTls(), KAFKA_SASL_PASSWORD: 'not-the-password' })).rejects.toThrow(
      /SASL SCRAM SHA512 authentication failed|Authentication failed/i,
    );
    const { KAFKA_TLS_CA_FILE: _ca, ...withoutCa } = kafkaTls();
    await expect(listTopicsWith(withoutCa)).rejects.toThrow(
      /self[- ]signed|unable to (get|verify)|certificate/i,
    );
  });
});

describe('the write side over TLS (command service and relay as processes)', () => {
  let side: WriteSide;
  afterAll(async () => {
    await side.close();
  });

  it('commits to MySQL over TLS and publishes to Kafka over SASL_SSL', async () => {
    const acceptsBefore = await globalTlsAccepts();
    side = await writeSide(mysqlTls());
    await side.startRelay({ ...mysqlTls(), ...kafkaTls() });
    // The services' connections to MariaDB were TLS handshakes.
    expect(await globalTlsAccepts()).toBeGreaterThan(acceptsBefore);
    const registered = await side.post('/customers', { name: 'Tess Layer', email: 'tess@example.com' });
    expect(registered.status).toBe(201);
    await side.drained();
    // Read back over the plain listener: the event the relay sent over SASL_SSL is there.
    const [customers] = side.topics;
    const messages = await readTopics(
      (env().KAFKA_BROKERS ?? '').split(','),
      [customers ?? ''],
      (read) => read.length >= 1,
    );
    expect(messages.map((m) => m.key)).toEqual([String(registered.body.customerId)]);
  }, 120_000);
});
