import { Counter, Gauge, Histogram, LATENCY_BUCKETS, type MetricsRegistry } from '@cqrs-shop/telemetry';
import type { RebuildProgress, VersionRecord } from '@cqrs-shop/read-models';
import type { ProjectorStatus } from './projector.js';

import type { EventOutcome } from './batch.js';

/** A lag measured longer ago than this is unknown (as `GET /projections` calls it). */
const LAG_KNOWN_FOR_MS = 5_000;

/**
 * A projector's Prometheus series, labelled with the projection's name. Lag and store health
 * are read from the running projector's status when scraped, so /projection and /metrics agree.
 */
export class ProjectorMetrics {
  private readonly events: Counter<'projection' | 'event_type' | 'outcome'>;
  private readonly durations: Histogram<'projection' | 'event_type'>;
  private readonly deadLetters: Counter<'projection'>;
  private readonly storeErrors: Counter<'projection'>;

  constructor(
    registry: MetricsRegistry,
    private readonly projection: string,
    status: () => ProjectorStatus | undefined,
  ) {
    const registers = [registry];
    this.events = new Counter({
      name: 'shop_projection_events_total',
      help: 'Events handled by the projector, by event type and outcome (applied, skipped, parked, beyond_until).',
      labelNames: ['projection', 'event_type', 'outcome'],
      registers,
    });
    this.durations = new Histogram({
      name: 'shop_projection_apply_duration_seconds',
      help: 'Time to settle one event (apply, skip or park it), retries included, by event type.',
      labelNames: ['projection', 'event_type'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.deadLetters = new Counter({
      name: 'shop_projection_dead_letters_total',
      help: 'Events sent to the dead-letter topic and parked, since the process started.',
      labelNames: ['projection'],
      registers,
    });
    this.storeErrors = new Counter({
      name: 'shop_projection_store_errors_total',
      help: "Failed attempts at the read model's store (each retry counts).",
      labelNames: ['projection'],
      registers,
    });
    // Present from the start at 0, so that increase() over a window sees the first one too.
    this.deadLetters.inc({ projection }, 0);
    this.storeErrors.inc({ projection }, 0);
    const startedAt = Date.now();
    const lagAgeMs = () => {
      const measured = status()?.lagMeasuredAt;
      return Date.now() - (measured ? Date.parse(measured) : startedAt);
    };
    const partitionGauge = (
      name: string,
      help: string,
      value: (lag: ProjectorStatus['partitions'][number]) => number,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['projection', 'topic', 'partition'],
        registers,
        collect() {
          this.reset();
          // A lag Kafka has not confirmed lately is unknown: no sample, rather than a stale 0.
          if (lagAgeMs() > LAG_KNOWN_FOR_MS) return;
          for (const lag of status()?.partitions ?? [])
            this.set({ projection, topic: lag.topic, partition: String(lag.partition) }, value(lag));
        },
      });
    partitionGauge(
      'shop_projection_lag_events',
      'Events on the partition not applied yet (high watermark minus committed offset).',
      (lag) => lag.lagEvents,
    );
    partitionGauge(
      'shop_projection_lag_seconds',
      'While events wait on the partition, how long ago the last applied one happened; 0 when caught up.',
      (lag) => lag.lagSeconds,
    );
    new Gauge({
      name: 'shop_projection_lag_age_seconds',
      help: `How long ago the lag was last measured against Kafka; beyond ${LAG_KNOWN_FOR_MS / 1_000} s the lag series are left out (unknown).`,
      labelNames: ['projection'],
      registers,
      collect() {
        this.set({ projection }, lagAgeMs() / 1_000);
      },
    });
    new Gauge({
      name: 'shop_projection_store_available',
      help: "1 while the read model's store answers, 0 while the projector waits for it.",
      labelNames: ['projection'],
      registers,
      collect() {
        this.set({ projection }, status()?.storeAvailable === false ? 0 : 1);
      },
    });
    new Gauge({
      name: 'shop_projection_recovering',
      help: '1 while the projector replays what its store lost (the read model is incomplete), else 0.',
      labelNames: ['projection'],
      registers,
      collect() {
        this.set({ projection }, status()?.recovering === true ? 1 : 0);
      },
    });
    new Gauge({
      name: 'shop_projection_consuming',
      help: '1 while the projector consumes its topics, 0 when it has stopped.',
      labelNames: ['projection'],
      registers,
      collect() {
        this.set({ projection }, status()?.running === true ? 1 : 0);
      },
    });
  }

  recordEvent(eventType: string, outcome: EventOutcome, seconds: number): void {
    this.events.inc({ projection: this.projection, event_type: eventType, outcome });
    this.durations.observe({ projection: this.projection, event_type: eventType }, seconds);
  }

  recordDeadLetter(): void {
    this.deadLetters.inc({ projection: this.projection });
  }

  recordStoreError(): void {
    this.storeErrors.inc({ projection: this.projection });
  }
}

/**
 * The read model's versions as series, read from its store when scraped: the live version,
 * each rebuild's progress, speed and duration, and the parked aggregates. A store that does not
 * answer leaves these series out of that scrape rather than failing it.
 */
export function registerVersionMetrics(
  registry: MetricsRegistry,
  projection: string,
  read: {
    catalog: () => Promise<{ liveVersion: number | null; versions: readonly VersionRecord[] }>;
    parked: () => Promise<readonly unknown[]>;
  },
): void {
  const registers = [registry];
  // One store read serves every gauge of a scrape (they are collected together).
  let cached: { at: number; value: ReturnType<typeof read.catalog> } | undefined;
  const catalog = async () => {
    if (!cached || Date.now() - cached.at > 500) cached = { at: Date.now(), value: read.catalog() };
    return cached.value.catch(() => undefined);
  };
  const rebuilt = (versions: readonly VersionRecord[]) =>
    versions.filter(
      (record): record is VersionRecord & { progress: RebuildProgress } => record.progress !== null,
    );
  new Gauge({
    name: 'shop_projection_live_version',
    help: 'The version of the read model that reads go to.',
    labelNames: ['projection'],
    registers,
    async collect() {
      this.reset();
      const described = await catalog();
      if (described?.liveVersion != null) this.set({ projection }, described.liveVersion);
    },
  });
  new Gauge({
    name: 'shop_projection_rebuild_progress_ratio',
    help: 'Share of the topics a rebuilt version has consumed (1 once caught up), by version.',
    labelNames: ['projection', 'version'],
    registers,
    async collect() {
      this.reset();
      for (const record of rebuilt((await catalog())?.versions ?? [])) {
        const { applied, total } = record.progress;
        const ratio = record.state === 'rebuilding' ? (total > 0 ? Math.min(1, applied / total) : 0) : 1;
        this.set({ projection, version: String(record.version) }, ratio);
      }
    },
  });
  new Gauge({
    name: 'shop_projection_rebuild_events_per_second',
    help: 'How fast a rebuilt version consumed its history, as last recorded, by version.',
    labelNames: ['projection', 'version'],
    registers,
    async collect() {
      this.reset();
      for (const record of rebuilt((await catalog())?.versions ?? []))
        this.set({ projection, version: String(record.version) }, record.progress.eventsPerSecond);
    },
  });
  new Gauge({
    name: 'shop_projection_rebuild_duration_seconds',
    help: 'How long a rebuild has taken: until its last progress while it runs, until its switch once live.',
    labelNames: ['projection', 'version'],
    registers,
    async collect() {
      this.reset();
      for (const record of rebuilt((await catalog())?.versions ?? [])) {
        const end =
          record.state === 'rebuilding'
            ? record.progress.updatedAt
            : (record.switchedAt ?? record.progress.updatedAt);
        const seconds = (Date.parse(end) - Date.parse(record.createdAt)) / 1_000;
        this.set({ projection, version: String(record.version) }, Math.max(0, seconds));
      }
    },
  });
  new Gauge({
    name: 'shop_projection_version_state',
    help: 'One series per version of the read model, its state as a label (value always 1).',
    labelNames: ['projection', 'version', 'state'],
    registers,
    async collect() {
      this.reset();
      for (const record of (await catalog())?.versions ?? [])
        this.set({ projection, version: String(record.version), state: record.state }, 1);
    },
  });
  new Gauge({
    name: 'shop_projection_parked_aggregates',
    help: 'Aggregates whose events are parked, waiting for a redrive.',
    labelNames: ['projection'],
    registers,
    async collect() {
      this.reset();
      const parked = await read.parked().catch(() => undefined);
      if (parked) this.set({ projection }, parked.length);
    },
  });
}
