import { nextVersion, type VersionCatalog, type VersionRecord } from '@cqrs-shop/read-models';
import type { Logger } from '@cqrs-shop/logging';
import {
  type EventSource,
  Projector,
  type ProjectorOptions,
  type ProjectorStatus,
  type RedrivePlace,
  type RedriveResult,
} from './projector.js';
import type { ParkedAggregates, ProjectionVersion, ProjectionVersions } from '@cqrs-shop/read-models';

/**
 * Makes sure the read model has a live version: on the very first start, version 1, read by
 * `groupId`. Replicas starting together agree, because only one pointer write can succeed.
 */
export async function ensureLiveVersion(catalog: VersionCatalog, groupId: string): Promise<number> {
  const live = await catalog.liveVersion();
  const records = await catalog.records();
  if (live !== null) {
    if (!records.some((r) => r.version === live)) await recordLostLiveVersion(catalog, live, groupId);
    return live;
  }
  const version = records.length === 0 ? 1 : nextVersion(records, null);
  await catalog.create(version);
  const now = new Date().toISOString();
  if (!records.some((r) => r.version === version))
    await catalog.save({
      version,
      state: 'live',
      groupId,
      createdAt: now,
      until: null,
      switchedAt: now,
      progress: null,
      note: 'created by the projector at its first start',
    });
  if (await catalog.switchLive(version, null)) return version;
  const winner = await catalog.liveVersion();
  if (winner === null) throw new Error('the live version could not be set');
  return winner;
}

/**
 * Writes the record of a live version whose record is gone (its store lost it, or someone
 * deleted it) while the pointer survived. Version 1 gets the projector's own group back. A
 * later version's group is unknown, so it gets a new one, which starts at the beginning of
 * the topics: slower, but the version guard makes re-applying harmless, whereas guessing a
 * group could skip events.
 */
async function recordLostLiveVersion(
  catalog: VersionCatalog,
  version: number,
  groupId: string,
): Promise<void> {
  const now = new Date().toISOString();
  await catalog.save({
    version,
    state: 'live',
    groupId: version === 1 ? groupId : `${groupId}.v${version}.recovered-${Date.now()}`,
    createdAt: now,
    until: null,
    switchedAt: now,
    progress: null,
    note: 'record written again by the projector: the version was live but its record was missing',
  });
}

export interface LiveTargetOptions {
  readonly versions: ProjectionVersions;
  /** Everything the projector of a version needs besides its opened and group. */
  readonly projector: Omit<ProjectorOptions, 'projection' | 'parked' | 'groupId' | 'replay' | 'until'>;
  /** How often the pointer is read. @default 1000 ms */
  readonly pollMs?: number;
  readonly logger: Logger;
}

/**
 * The live projection of a service: projects into whichever version the pointer names, with that
 * version's consumer group, and follows the pointer when a rebuild (or a rollback) moves it. The
 * new version's group has committed exactly what that version applied, so the projector goes on
 * from there: nothing is skipped, and the version guards make any overlap with the rebuilding
 * process (both in the group for a moment) harmless.
 */
export class LiveVersion {
  private current:
    { version: number; record: VersionRecord; projector: Projector; opened: ProjectionVersion } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private switching: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: LiveTargetOptions) {}

  get version(): number | undefined {
    return this.current?.version;
  }

  get groupId(): string | undefined {
    return this.current?.record.groupId;
  }

  /** The parked aggregates of the version projected into. */
  get parked(): ParkedAggregates | undefined {
    return this.current?.opened.parked;
  }

  async start(version: number): Promise<void> {
    await this.follow(version);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.switching;
    await this.current?.projector.stop();
    this.current = undefined;
  }

  status(): ProjectorStatus | undefined {
    return this.current?.projector.status();
  }

  async placeRedrive(aggregateKey: string): Promise<RedrivePlace> {
    const projector = this.current?.projector;
    if (!projector) return { kind: 'unavailable', reason: 'the projector is switching versions' };
    return projector.placeRedrive(aggregateKey);
  }

  async redrive(aggregateKey: string, source?: EventSource): Promise<RedriveResult> {
    const projector = this.current?.projector;
    if (!projector) return { aggregateKey, redriven: false, reason: 'the projector is switching versions' };
    return projector.redrive(aggregateKey, source);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.switching = this.check().finally(() => {
        this.schedule();
      });
    }, this.options.pollMs ?? 1_000);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    const { versions, logger } = this.options;
    let live: number | null;
    try {
      live = await versions.catalog.liveVersion();
    } catch (error) {
      logger.debug({ err: error }, 'live version not read');
      return;
    }
    if (live === null || live === this.current?.version || this.stopped) return;
    logger.info({ from: this.current?.version, to: live }, 'the live version moved; following it');
    try {
      await this.follow(live);
    } catch (error) {
      // Tried again at the next check; meanwhile the status says the projector is not running.
      logger.error({ err: error, version: live }, 'could not switch to the live version');
    }
  }

  private async follow(version: number): Promise<void> {
    const { versions, logger } = this.options;
    const record = (await versions.catalog.records()).find((r) => r.version === version);
    if (!record) throw new Error(`version ${version} is live but has no record`);
    const previous = this.current;
    this.current = undefined;
    await previous?.projector.stop();
    await versions.catalog.create(version);
    const opened = versions.open(version);
    const projector = new Projector({
      ...this.options.projector,
      logger: this.options.projector.logger.child({ readModelVersion: version }),
      groupId: record.groupId,
      projection: opened.projection,
      parked: opened.parked,
    });
    await projector.start();
    this.current = { version, record, projector, opened };
    logger.info({ version, groupId: record.groupId }, 'projecting into the live version');
  }
}
