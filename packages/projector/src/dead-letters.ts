import type { KafkaMessage, Producer } from 'kafkajs';

export const DEAD_LETTER_HEADERS = {
  reason: 'dead-letter-reason',
  projection: 'dead-letter-projection',
  source: 'dead-letter-source',
  at: 'dead-letter-at',
  /** `live`, or `replay` when a rebuild dead-lettered it (the live projection did so before). */
  mode: 'dead-letter-mode',
} as const;

/** An event to dead-letter: where it came from, as it came, and why. */
export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  readonly reason: string;
}

/**
 * The projection's dead-letter topic: events it could not apply and the events parked behind
 * them, as they came, with the reason and their source in headers. One request per batch.
 */
export class DeadLetterTopic {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly projection: string,
    private readonly mode: 'live' | 'replay',
  ) {}

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const at = new Date().toISOString();
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map(({ topic, partition, message, reason }) => ({
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          [DEAD_LETTER_HEADERS.reason]: reason,
          [DEAD_LETTER_HEADERS.projection]: this.projection,
          [DEAD_LETTER_HEADERS.source]: `${topic}/${partition}/${message.offset}`,
          [DEAD_LETTER_HEADERS.at]: at,
          [DEAD_LETTER_HEADERS.mode]: this.mode,
        },
      })),
    });
  }
}
