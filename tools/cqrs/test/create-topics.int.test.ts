import { deadLetterTopicFor, eventTopics } from '@cqrs-shop/events';
import { runCommand, stackEnv, uniqueName } from '@cqrs-shop/testing';
import { type Admin, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { PROJECTION_NAMES } from '../src/args';

/** Runs the topic job as deployments do, from its build, with exactly these settings. */
async function createTopics(env: Record<string, string>) {
  const { code, stdout, stderr } = await runCommand(process.execPath, ['tools/cqrs/dist/create-topics.js'], {
    env,
  });
  return { code, output: stdout + stderr };
}

describe('the topic job (create-topics)', () => {
  const KAFKA_BROKERS = stackEnv().KAFKA_BROKERS ?? '';
  const prefix = `${uniqueName('topics')}.`;
  const events = Object.values(eventTopics(prefix));
  const deadLetters = PROJECTION_NAMES.map((name) => deadLetterTopicFor(name, prefix));
  let admin: Admin;

  beforeAll(async () => {
    admin = new Kafka({ brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [...events, ...deadLetters] }).catch(() => undefined);
    await admin.disconnect();
  });

  /** The value of each named setting of a topic. */
  async function settingsOf(topic: string, names: readonly string[]) {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [...names] }],
    });
    return Object.fromEntries(
      (resources[0]?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]),
    );
  }

  it('creates every event topic with the configured partitions, kept forever, and every dead-letter topic, kept 30 days', async () => {
    const run = await createTopics({ KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: prefix, TOPIC_PARTITIONS: '3' });
    expect(run).toMatchObject({ code: 0 });
    expect(run.output).toContain('created topics');

    const { topics } = await admin.fetchTopicMetadata({ topics: [...events, ...deadLetters] });
    const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
    expect(partitions).toEqual({
      ...Object.fromEntries(events.map((topic) => [topic, 3])),
      ...Object.fromEntries(deadLetters.map((topic) => [topic, 1])),
    });
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: events.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['retention.ms'],
      })),
    });
    for (const resource of described.resources)
      expect(resource.configEntries.find((e) => e.configName === 'retention.ms')?.configValue).toBe('-1');
    for (const topic of deadLetters)
      expect(await settingsOf(topic, ['retention.ms'])).toEqual({
        'retention.ms': String(30 * 24 * 3_600_000),
      });
  });

  it('changes nothing when run again', async () => {
    const run = await createTopics({ KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: prefix, TOPIC_PARTITIONS: '3' });
    expect(run).toMatchObject({ code: 0 });
    expect(run.output).toContain('every topic exists');
  });

  it('makes a new dead-letter retention current on existing topics, keeping their other settings', async () => {
    const [topic = ''] = deadLetters;
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [
            { name: 'retention.ms', value: '-1' },
            { name: 'max.message.bytes', value: '2000000' },
          ],
        },
      ],
    });

    const run = await createTopics({
      KAFKA_BROKERS,
      KAFKA_TOPIC_PREFIX: prefix,
      TOPIC_PARTITIONS: '3',
      DEAD_LETTER_RETENTION: '1h',
    });

    expect(run).toMatchObject({ code: 0 });
    expect(await settingsOf(topic, ['retention.ms', 'max.message.bytes'])).toEqual({
      'retention.ms': '3600000',
      'max.message.bytes': '2000000',
    });
    for (const other of deadLetters.slice(1))
      expect(await settingsOf(other, ['retention.ms'])).toEqual({ 'retention.ms': '3600000' });
  });

  it('fails, naming the topic, when an existing topic has other partitions than configured', async () => {
    const run = await createTopics({ KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: prefix, TOPIC_PARTITIONS: '4' });
    expect(run.code).toBe(1);
    expect(run.output).toMatch(
      new RegExp(`topic ${prefix.replace('.', '\\.')}\\S+ has 3 partitions, configured 4`),
    );
  });

  it('refuses a bad setting before connecting, naming the variable', async () => {
    const run = await createTopics({ KAFKA_BROKERS, TOPIC_REPLICATION_FACTOR: '0' });
    expect(run.code).toBe(78);
    expect(run.output).toContain('TOPIC_REPLICATION_FACTOR');
  });
});
