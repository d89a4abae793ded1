import type { Logger } from '@cqrs-shop/logging';
import {
  type Admin,
  type Consumer,
  type ConsumerConfig,
  Kafka,
  logLevel,
  type LogEntry,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Retries of a failed request, with kafkajs's exponential backoff. */
  readonly retries: number;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * The kafkajs client and every producer, consumer and admin made from it, so that one
 * `close()` disconnects them all (consumers first: they may still be committing offsets).
 */
export class KafkaClients {
  readonly kafka: Kafka;
  private readonly consumers: Consumer[] = [];
  private readonly producers: Producer[] = [];
  private readonly admins: Admin[] = [];
  private closing: Promise<void> | undefined;

  constructor(settings: KafkaSettings, logger: Logger) {
    const kafkaLogger = logger.child({ component: 'kafkajs' });
    this.kafka = new Kafka({
      clientId: settings.clientId,
      brokers: [...settings.brokers],
      connectionTimeout: settings.connectionTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      retry: { retries: settings.retries },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ namespace, level, log }: LogEntry) => {
          const { message, ...fields } = log;
          kafkaLogger[LEVELS[level] ?? 'info']({ namespace, ...fields }, message);
        },
    });
  }

  producer(config?: ProducerConfig): Producer {
    const producer = this.kafka.producer(config);
    this.producers.push(producer);
    return producer;
  }

  consumer(config: ConsumerConfig): Consumer {
    const consumer = this.kafka.consumer(config);
    this.consumers.push(consumer);
    return consumer;
  }

  admin(): Admin {
    const admin = this.kafka.admin();
    this.admins.push(admin);
    return admin;
  }

  /** Disconnects everything made here; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled(this.consumers.map((c) => c.disconnect()));
      await Promise.allSettled([...this.producers, ...this.admins].map((c) => c.disconnect()));
    })();
    return this.closing;
  }
}

export function createKafkaClients(settings: KafkaSettings, logger: Logger): KafkaClients {
  return new KafkaClients(settings, logger);
}
