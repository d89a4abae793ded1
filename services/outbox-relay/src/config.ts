import {
  type Environment,
  httpSection,
  kafkaSection,
  loadConfig,
  mysqlSection,
  runtimeSection,
  section,
  variable,
} from '@cqrs-shop/config';
import { service } from '@cqrs-shop/service-registry';

const relaySection = section(
  {
    /** Rows published per batch at most. @default 500 */
    RELAY_BATCH_SIZE: variable.integer({ min: 1, max: 5_000, default: 500 }),
    /**
     * Bytes (payloads and headers) published per batch at most; a lone larger row still goes
     * alone. Keep it under the broker's `message.max.bytes` (1 MiB by default). @default 900000
     */
    RELAY_BATCH_MAX_BYTES: variable.integer({ min: 1_024, max: 100_000_000, default: 900_000 }),
    /** Longest pause between polls of an empty outbox; pauses grow from 1 ms to this while idle. @default 100ms */
    RELAY_IDLE_MAX: variable.duration({ default: 100, max: 10_000 }),
    /**
     * Least time from one batch's pick to the next poll while rows keep coming: rows committed
     * meanwhile go as one batch (one read, one send, one mark) instead of one batch per command.
     * A row after a quiet spell is picked at once; one committed right after a pick waits at most
     * this long. 0 polls again as soon as a batch is published. @default 50ms
     */
    RELAY_BATCH_INTERVAL: variable.duration({ default: 50, max: 10_000 }),
    /** How often a standby replica tries to become the active one. @default 1s */
    RELAY_STANDBY_POLL: variable.duration({ default: 1_000, max: 60_000 }),
    /** Partitions of each event topic when the relay creates it. @default 6 */
    TOPIC_PARTITIONS: variable.integer({ min: 1, max: 1_000, default: 6 }),
    /** Published rows older than this are deleted from the outbox. @default 7 days */
    RELAY_KEEP_PUBLISHED: variable.duration({ default: 7 * 24 * 3_600_000 }),
    /** How often published rows past RELAY_KEEP_PUBLISHED are deleted. @default 10s */
    RETENTION_SWEEP_INTERVAL: variable.duration({ default: 10_000, max: 3_600_000 }),
  },
  (v) => ({
    batchSize: v.RELAY_BATCH_SIZE,
    batchMaxBytes: v.RELAY_BATCH_MAX_BYTES,
    idleMaxMs: v.RELAY_IDLE_MAX,
    batchIntervalMs: v.RELAY_BATCH_INTERVAL,
    standbyPollMs: v.RELAY_STANDBY_POLL,
    topicPartitions: v.TOPIC_PARTITIONS,
    keepPublishedMs: v.RELAY_KEEP_PUBLISHED,
    sweepIntervalMs: v.RETENTION_SWEEP_INTERVAL,
  }),
);

export function loadServiceConfig(env: Environment) {
  return loadConfig(
    {
      runtime: runtimeSection,
      http: httpSection(service('outbox-relay')),
      mysql: mysqlSection,
      kafka: kafkaSection,
      relay: relaySection,
    },
    env,
  );
}

export type RelayConfig = ReturnType<typeof loadServiceConfig>;
