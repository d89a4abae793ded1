import { Counter, Gauge, Histogram, LAG_BUCKETS, type MetricsRegistry } from '@cqrs-shop/telemetry';
import type { RelayStats } from './stats.js';

/**
 * The relay's Prometheus series. Backlog and leadership are read from {@link RelayStats} when
 * scraped, so /stats and /metrics never disagree.
 */
export class RelayMetrics {
  private readonly published: Counter<'event_type'>;
  private readonly lag: Histogram;
  private readonly errors: Counter;
  private readonly quarantined: Counter;

  constructor(registry: MetricsRegistry, stats: RelayStats) {
    const registers = [registry];
    this.published = new Counter({
      name: 'shop_outbox_published_total',
      help: 'Outbox events published to Kafka and acknowledged, by event type.',
      labelNames: ['event_type'],
      registers,
    });
    this.lag = new Histogram({
      name: 'shop_outbox_publish_lag_seconds',
      help: 'Time from an event being written to the outbox to Kafka acknowledging it.',
      buckets: LAG_BUCKETS,
      registers,
    });
    this.errors = new Counter({
      name: 'shop_outbox_publish_errors_total',
      help: 'Batches the relay failed to publish (it steps down and retries).',
      registers,
    });
    this.quarantined = new Counter({
      name: 'shop_outbox_quarantined_total',
      help: 'Outbox rows moved to the quarantine: rows that cannot be published, and the rows of their aggregates held behind them.',
      registers,
    });
    new Gauge({
      name: 'shop_outbox_quarantine_rows',
      help: 'Rows in the outbox quarantine waiting to be fixed and released (`cqrs outbox list`), as last counted.',
      registers,
      collect() {
        this.set(stats.quarantined);
      },
    });
    new Gauge({
      name: 'shop_outbox_backlog_rows',
      help: 'Outbox rows not published yet, as last counted by the leading replica (0 on the others).',
      registers,
      collect() {
        this.set(stats.leader ? stats.backlog : 0);
      },
    });
    new Gauge({
      name: 'shop_outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest outbox row not published yet (0 when none waits or this replica does not lead).',
      registers,
      collect() {
        const oldest = stats.leader ? stats.oldestUnpublishedAt : null;
        this.set(oldest === null ? 0 : Math.max(0, (Date.now() - oldest.getTime()) / 1_000));
      },
    });
    new Gauge({
      name: 'shop_outbox_relay_leader',
      help: '1 while this replica holds the relay lock and publishes, else 0.',
      registers,
      collect() {
        this.set(stats.leader ? 1 : 0);
      },
    });
  }

  recordPublished(eventType: string, lagMs: number): void {
    this.published.inc({ event_type: eventType });
    this.lag.observe(lagMs / 1_000);
  }

  recordError(): void {
    this.errors.inc();
  }

  recordQuarantined(rows: number): void {
    this.quarantined.inc(rows);
  }
}
