import type { Logger } from '@cqrs-shop/logging';
import type { VersionRecord } from '@cqrs-shop/read-models';
import type { ReadModelName } from './store-guard.js';

/** What a projector's `GET /projection` answers (the parts the gateway uses). */
export interface ProjectorReport {
  readonly running: boolean;
  readonly storeAvailable: boolean;
  /** Replaying what its store lost (older projectors do not say). */
  readonly recovering?: boolean;
  readonly applied: number;
  readonly deadLettered: number;
  /** When its lag was last measured against Kafka (older projectors do not say). */
  readonly lagMeasuredAt?: string | null;
  readonly partitions: readonly {
    readonly topic: string;
    readonly partition: number;
    readonly lagEvents: number;
    readonly lagSeconds: number;
    readonly lastEventAt: string | null;
  }[];
  /** Null while the projector's store cannot list them; absent from `/projection/lag`. */
  readonly parked?: readonly { readonly aggregateKey: string; readonly reason: string }[] | null;
  /** The version it projects into, the live one, and every version with its rebuild progress. */
  readonly version: number | null;
  /** Absent from `/projection/lag`, as are the versions. */
  readonly liveVersion?: number | null;
  readonly versions?: readonly VersionRecord[] | null;
  /** The same, from a projector older than the name `versions` (during a rolling upgrade). */
  readonly targets?: readonly VersionRecord[] | null;
}

/** One projection as `GET /projections` shows it. */
export interface ProjectionStatus {
  readonly name: ReadModelName;
  /** Consuming, its store answering, and its read model complete up to its position. */
  readonly healthy: boolean;
  /**
   * Its store had lost data (restored, flushed, or a crash lost its last writes) and the
   * projector is replaying it from the store's checkpoint: the read model is incomplete until
   * this turns false.
   */
  readonly rebuilding: boolean;
  /** Whether the projector answered; when false, the figures below are unknown (null). */
  readonly reachable: boolean;
  readonly error?: string;
  /**
   * Events not applied yet, over all partitions; null (unknown) while the projector is not
   * consuming or has not measured its lag against Kafka for a few seconds (Kafka down).
   */
  readonly lagEvents: number | null;
  /** The most any partition is behind, in seconds. */
  readonly lagSeconds: number | null;
  /** When the newest applied event happened. */
  readonly lastEventAt: string | null;
  /** When the projector last measured its lag against Kafka. */
  readonly lagMeasuredAt: string | null;
  /** Events its projector applied since it started (a rate comes from two samples of it). */
  readonly applied: number | null;
  readonly deadLettered: number | null;
  readonly parkedAggregates: number | null;
  readonly partitions: ProjectorReport['partitions'];
  /** The version its projector writes into: the live one, once the projector has followed a switch. */
  readonly version: number | null;
  /** The live version of the read model, and every version: live, rebuilding (with progress), retired… */
  readonly liveVersion: number | null;
  readonly versions: readonly VersionRecord[] | null;
  readonly checkedAt: string;
}

/** Lag measured longer ago than this is unknown: Kafka has not answered the projector since. */
const LAG_KNOWN_FOR_MS = 5_000;

export function projectionStatusOf(
  name: ReadModelName,
  report: ProjectorReport,
  checkedAt: string,
): ProjectionStatus {
  const lastEventAt = report.partitions
    .map((p) => p.lastEventAt)
    .filter((at): at is string => at !== null)
    .sort()
    .at(-1);
  const measuredAt = report.lagMeasuredAt === undefined ? checkedAt : report.lagMeasuredAt;
  const lagKnown =
    report.running &&
    measuredAt !== null &&
    Date.parse(checkedAt) - Date.parse(measuredAt) <= LAG_KNOWN_FOR_MS;
  const stale = lagKnown
    ? {}
    : {
        error: report.running
          ? `lag unknown: not measured against Kafka since ${measuredAt ?? 'the projector started'}`
          : 'lag unknown: the projector is not consuming',
      };
  return {
    name,
    healthy: lagKnown && report.storeAvailable && report.recovering !== true,
    rebuilding: report.recovering === true,
    reachable: true,
    ...stale,
    lagEvents: lagKnown ? report.partitions.reduce((sum, p) => sum + p.lagEvents, 0) : null,
    lagSeconds: lagKnown ? report.partitions.reduce((most, p) => Math.max(most, p.lagSeconds), 0) : null,
    lastEventAt: lastEventAt ?? null,
    lagMeasuredAt: report.lagMeasuredAt ?? null,
    applied: report.applied,
    deadLettered: report.deadLettered,
    parkedAggregates: report.parked?.length ?? null,
    partitions: report.partitions,
    version: report.version,
    liveVersion: report.liveVersion ?? null,
    versions: report.versions ?? report.targets ?? null,
    checkedAt,
  };
}

/**
 * Follows each projector's status: fetched on demand for `GET /projections`, and its positions
 * (`/projection/lag`, answered from the projector's memory) in the background for the freshness
 * headers of every read, which must not wait on a projector. A background status therefore has
 * no parked aggregates and versions (null): only `GET /projections` reads those from the stores.
 */
export class ProjectionStatusMonitor {
  private readonly latest = new Map<ReadModelName, ProjectionStatus>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly projectors: Readonly<Record<ReadModelName, string>>,
    private readonly options: { refreshMs: number; timeoutMs: number; logger: Logger },
  ) {}

  start(): void {
    const refresh = () => {
      void this.fetchAll('/projection/lag').finally(() => {
        this.timer = setTimeout(refresh, this.options.refreshMs);
        this.timer.unref();
      });
    };
    refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** The last status fetched, possibly up to one refresh period old. */
  cached(name: ReadModelName): ProjectionStatus | undefined {
    return this.latest.get(name);
  }

  /** Every projector's status: in full (`/projection`), or its positions only (`/projection/lag`). */
  async fetchAll(path: '/projection' | '/projection/lag' = '/projection'): Promise<ProjectionStatus[]> {
    const names = Object.keys(this.projectors) as ReadModelName[];
    return Promise.all(names.map((name) => this.fetch(name, path)));
  }

  private async fetch(name: ReadModelName, path: string): Promise<ProjectionStatus> {
    const checkedAt = new Date().toISOString();
    let status: ProjectionStatus;
    try {
      const response = await fetch(new URL(path, this.projectors[name]), {
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (!response.ok) throw new Error(`answered ${response.status}`);
      status = projectionStatusOf(name, (await response.json()) as ProjectorReport, checkedAt);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.latest.get(name)?.reachable !== false)
        this.options.logger.warn({ projection: name, err: message }, 'projector status not available');
      status = {
        name,
        healthy: false,
        rebuilding: false,
        reachable: false,
        error: message,
        lagEvents: null,
        lagSeconds: null,
        lastEventAt: null,
        lagMeasuredAt: null,
        applied: null,
        deadLettered: null,
        parkedAggregates: null,
        partitions: [],
        version: null,
        liveVersion: null,
        versions: null,
        checkedAt,
      };
    }
    this.latest.set(name, status);
    return status;
  }
}
