import { Counter, Gauge, Histogram, LATENCY_BUCKETS, type MetricsRegistry } from '@cqrs-shop/telemetry';
import type { ProjectionStatusMonitor } from './projection-status.js';
import type { ReadModelName, StoreGuard } from './store-guard.js';

/** The gateway's Prometheus series beside the per-route request durations. */
export class GatewayMetrics {
  private readonly waits: Counter<'outcome'>;
  private readonly waitDurations: Histogram<'outcome'>;
  private readonly readModelErrors: Counter<'read_model'>;

  constructor(
    registry: MetricsRegistry,
    sources: {
      guards: Readonly<Record<ReadModelName, StoreGuard>>;
      monitor: ProjectionStatusMonitor;
    },
  ) {
    const registers = [registry];
    this.waits = new Counter({
      name: 'shop_consistency_waits_total',
      help: 'Reads that waited for a consistency token, by outcome: satisfied, or timeout (answered 503).',
      labelNames: ['outcome'],
      registers,
    });
    this.waitDurations = new Histogram({
      name: 'shop_consistency_wait_duration_seconds',
      help: 'Time a read waited for the changes its consistency tokens name, by outcome.',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.readModelErrors = new Counter({
      name: 'shop_read_model_errors_total',
      help: 'Reads answered 503 because their read model’s store failed or is cooling down.',
      labelNames: ['read_model'],
      registers,
    });
    // Present from the start at 0, so that increase() over a window sees the first one too.
    for (const outcome of ['satisfied', 'timeout'] as const) this.waits.inc({ outcome }, 0);
    const names = Object.keys(sources.guards) as ReadModelName[];
    for (const name of names) this.readModelErrors.inc({ read_model: name }, 0);
    new Gauge({
      name: 'shop_read_model_available',
      help: '1 while reads go to the store, 0 while its routes answer 503 during a cool-down.',
      labelNames: ['read_model'],
      registers,
      collect() {
        for (const name of names) this.set({ read_model: name }, sources.guards[name].available ? 1 : 0);
      },
    });
    new Gauge({
      name: 'shop_projector_reachable',
      help: 'Whether the projection’s projector answered the last status poll (1) or not (0).',
      labelNames: ['projection'],
      registers,
      collect() {
        this.reset();
        for (const name of names) {
          const status = sources.monitor.cached(name);
          if (status) this.set({ projection: name }, status.reachable ? 1 : 0);
        }
      },
    });
  }

  recordWait(outcome: 'satisfied' | 'timeout', seconds: number): void {
    this.waits.inc({ outcome });
    this.waitDurations.observe({ outcome }, seconds);
  }

  recordReadModelError(readModel: ReadModelName): void {
    this.readModelErrors.inc({ read_model: readModel });
  }
}
