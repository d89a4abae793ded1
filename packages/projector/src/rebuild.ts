import { ShopError } from '@cqrs-shop/errors';
import { setTimeout as delay } from 'node:timers/promises';
import type { KafkaClients } from '@cqrs-shop/kafka';
import type { Logger } from '@cqrs-shop/logging';
import {
  describeVersions,
  nextVersion,
  type PartitionProgress,
  type RebuildProgress,
  type VersionCatalog,
  type VersionRecord,
} from '@cqrs-shop/read-models';
import type { Admin } from 'kafkajs';
import { assessHistory, fetchHistoryFacts } from './history.js';
import { Projector } from './projector.js';
import type { ProjectionVersions } from '@cqrs-shop/read-models';
import { partitionKey } from './partition-cursor.js';

export interface RebuildOptions {
  /** The projection's name: `order-history`, `search`, `analytics`. */
  readonly name: string;
  readonly topics: readonly string[];
  /** Of `topics`, those taken in before the others (see ProjectorOptions.readFirst). */
  readonly readFirst?: readonly string[];
  readonly deadLetterTopic: string;
  readonly kafka: KafkaClients;
  readonly versions: ProjectionVersions;
  readonly logger: Logger;
  /** Builds a point-in-time version: only events that happened up to this instant; never live. */
  readonly until?: string;
  /** The new version goes live once it is at most this many events behind. @default 100 */
  readonly maxLagToSwitch?: number;
  /** Drops the version that was live before, once the live projector has left it. */
  readonly dropPrevious?: boolean;
  /** Partitions replayed at once. @default 6 */
  readonly partitionsConcurrently?: number;
  /** How long to wait for the live projector to join the new version's group. @default 30 s */
  readonly handoverTimeoutMs?: number;
  /** How often progress is measured, reported and recorded. @default 1000 ms */
  readonly progressIntervalMs?: number;
  readonly onProgress?: (report: RebuildReport) => void;
  /** Aborting stops the rebuild cleanly, resumable from its committed offsets. */
  readonly signal?: AbortSignal;
}

export type RebuildPhase = 'replaying' | 'switching' | 'done' | 'stopped';

export interface RebuildReport {
  readonly name: string;
  readonly version: number;
  readonly phase: RebuildPhase;
  readonly resumed: boolean;
  readonly until: string | null;
  readonly progress: RebuildProgress;
}

export interface RebuildResult {
  readonly name: string;
  readonly version: number;
  /** `switched`: it is live now; `point-in-time`: built up to `until`; `stopped`: aborted, resumable. */
  readonly outcome: 'switched' | 'point-in-time' | 'stopped';
  readonly resumed: boolean;
  readonly previousVersion: number | null;
  /** Events consumed by this run, and how long the replay took until caught up. */
  readonly events: number;
  readonly replaySeconds: number;
  readonly eventsPerSecond: number;
  /** From caught up to the live projector taking over; null without a switch. */
  readonly switchMs: number | null;
  /** Whether the live projector joined the new version before the rebuild let go of it. */
  readonly handedOver: boolean | null;
  readonly droppedPrevious: boolean;
  readonly warnings: readonly string[];
}

/** The rebuild will not start, and says why (incomplete history, a version in the way). */
export class RebuildRefusedError extends ShopError<'projector.rebuild-refused'> {
  constructor(readonly reasons: readonly string[]) {
    super('projector.rebuild-refused', reasons.join('; '));
  }
}

/** The consumer group of a version: the live version's group with the version number swapped in. */
export function groupForVersion(liveGroupId: string, version: number): string {
  return `${liveGroupId.replace(/\.v[0-9]+$/, '')}.v${version}`;
}

const now = () => new Date().toISOString();

/** How often a replay's positions are looked at for its end. */
const CATCH_UP_TICK_MS = 100;

/** The version a rebuild continues, if one was left unfinished with the same `until`. */
function unfinished(records: readonly VersionRecord[], until: string | null): VersionRecord | undefined {
  return records.find(
    (r) => (r.state === 'rebuilding' || r.state === 'failed' || r.state === 'caught-up') && r.until === until,
  );
}

/**
 * Rebuilds one read model from the beginning of its topics into a new version, with a consumer
 * group of its own, while the live version keeps serving. Once the new version has caught up
 * with the head, the live pointer moves to it in one atomic write and the live projector takes
 * over the new version's group, going on from exactly what the rebuild applied. With `until`,
 * it builds a point-in-time version instead, which never goes live. Killed or aborted, a rebuild
 * started again continues from its committed offsets.
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { name, topics, kafka, versions } = options;
  const { catalog } = versions;
  const until = options.until === undefined ? null : new Date(options.until).toISOString();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const history = assessHistory(await fetchHistoryFacts(admin, topics));
    if (history.problems.length > 0) throw new RebuildRefusedError(history.problems);
    const [live, records] = await Promise.all([catalog.liveVersion(), catalog.records()]);
    const liveRecord = records.find((r) => r.version === live);
    if (live === null || !liveRecord)
      throw new RebuildRefusedError([`${name} has no live version yet: start its projector once first`]);
    const described = describeVersions(records, live);
    const resumable = unfinished(described, until);
    const version = resumable?.version ?? nextVersion(records, live);
    const groupId = resumable?.groupId ?? groupForVersion(liveRecord.groupId, version);
    if (!resumable) await claimFreshGroup(admin, groupId);
    const record: VersionRecord = resumable ?? {
      version,
      state: 'rebuilding',
      groupId,
      createdAt: now(),
      until,
      switchedAt: null,
      progress: null,
      note: null,
    };
    await catalog.create(version);
    await catalog.save({ ...record, state: 'rebuilding', note: null });
    const run = new RebuildRun(
      options,
      admin,
      { ...record, state: 'rebuilding' },
      live,
      resumable !== undefined,
    );
    return await run.execute(history.warnings);
  } finally {
    await admin.disconnect();
  }
}

/**
 * A new version's group must start at the beginning. Its name can only have been used by a
 * version since dropped from the catalog; offsets left behind by it would skip history.
 */
async function claimFreshGroup(admin: Admin, groupId: string): Promise<void> {
  const [described] = (await admin.describeGroups([groupId])).groups;
  if (described && described.members.length > 0)
    throw new RebuildRefusedError([`consumer group ${groupId} has members; is another rebuild running?`]);
  const offsets = await admin.fetchOffsets({ groupId });
  if (offsets.some((t) => t.partitions.some((p) => Number(p.offset) >= 0)))
    await admin.deleteGroups([groupId]);
}

class RebuildRun {
  private readonly samples: { at: number; applied: number }[] = [];
  private startedApplied: number | undefined;

  constructor(
    private readonly options: RebuildOptions,
    private readonly admin: Admin,
    private record: VersionRecord,
    private readonly previousLive: number,
    private readonly resumed: boolean,
  ) {}

  async execute(warnings: readonly string[]): Promise<RebuildResult> {
    const { name, topics, deadLetterTopic, kafka, versions, logger, signal } = this.options;
    const { version, groupId, until } = this.record;
    const log = logger.child({ projection: name, readModelVersion: version, replay: true });
    for (const warning of warnings) log.warn({ warning }, 'history may not stay complete');
    // The partitions there are, and where they end now: a point-in-time build ends there (later
    // events happened later), a rebuild switches once every one of them is nearly caught up.
    const endsAtStart = await this.ends();
    const opened = versions.open(version);
    const projector = new Projector({
      name,
      groupId,
      topics,
      ...(this.options.readFirst ? { readFirst: this.options.readFirst } : {}),
      deadLetterTopic,
      kafka,
      logger: log,
      projection: opened.projection,
      parked: opened.parked,
      replay: true,
      ...(until === null ? {} : { until }),
      partitionsConcurrently: this.options.partitionsConcurrently ?? 6,
    });
    log.info({ groupId, resumed: this.resumed, until }, 'rebuild started');
    const started = Date.now();
    await projector.start();
    // The first sample: the rate is measured from here.
    let progress = this.progress(projector);
    this.report('replaying', progress);
    const reportEveryMs = this.options.progressIntervalMs ?? 1_000;
    let reportedAt = Date.now();
    try {
      for (;;) {
        // The positions are in memory: the end is noticed within a tick, progress is recorded and
        // reported once per interval.
        await delay(Math.min(CATCH_UP_TICK_MS, reportEveryMs), undefined, { signal }).catch(() => undefined);
        progress = this.progress(projector);
        if (signal?.aborted) {
          await projector.stop();
          progress = this.progress(projector);
          await this.save({
            state: 'rebuilding',
            progress,
            note: 'stopped; run the rebuild again to resume',
          });
          this.report('stopped', progress);
          return this.result('stopped', progress, started, null, null, false, warnings);
        }
        const done =
          until !== null ? this.reached(progress, endsAtStart) : this.caughtUp(progress, endsAtStart);
        if (done || Date.now() - reportedAt >= reportEveryMs) {
          // Recorded before it is reported: what others read is never older than what was shown.
          await this.save({ progress });
          this.report('replaying', progress);
          reportedAt = Date.now();
        }
        if (done) break;
      }
    } catch (error) {
      await projector.stop().catch(() => undefined);
      await this.save({ state: 'failed', note: error instanceof Error ? error.message : String(error) });
      throw error;
    }
    const replaySeconds = (Date.now() - started) / 1_000;
    if (until !== null) {
      await projector.stop();
      await this.options.versions.catalog.settle(this.record.version);
      progress = this.progress(projector);
      await this.save({ state: 'point-in-time', progress, note: `the shop as it was at ${until}` });
      this.report('done', progress);
      log.info({ events: progress.applied }, 'point-in-time version built');
      return this.result('point-in-time', progress, started, null, null, false, warnings, replaySeconds);
    }
    return this.switchOver(projector, log, started, replaySeconds, warnings);
  }

  /**
   * Stops replaying, moves the pointer, and waits for the live projector to take over the new
   * version's group. The replay stops first: two processes writing one document at once are
   * safe only on stores whose updates are atomic (FerretDB's are not), and the gap is short.
   */
  private async switchOver(
    projector: Projector,
    log: Logger,
    started: number,
    replaySeconds: number,
    warnings: readonly string[],
  ): Promise<RebuildResult> {
    const { catalog } = this.options.versions;
    const { version, groupId } = this.record;
    const caughtUpAt = Date.now();
    this.report('switching', this.progress(projector));
    await projector.stop();
    await catalog.settle(version);
    const progress = this.progress(projector);
    await this.save({ state: 'caught-up', progress });
    if (!(await catalog.switchLive(version, this.previousLive))) {
      const note = `the live version moved away from ${this.previousLive} meanwhile; not switched`;
      await this.save({ note });
      throw new RebuildRefusedError([note]);
    }
    await this.save({ state: 'live', switchedAt: now(), note: null });
    const previous = (await catalog.records()).find((r) => r.version === this.previousLive);
    if (previous) await catalog.save({ ...previous, state: 'retired' });
    log.info({ from: this.previousLive, to: version }, 'switched the live version');
    const handedOver = await this.awaitMembers(groupId, (members) => members >= 1);
    const switchMs = Date.now() - caughtUpAt;
    if (!handedOver)
      log.warn(
        { groupId },
        'no live projector joined the new version in time; it goes on from the committed offsets when it starts',
      );
    let droppedPrevious = false;
    if (this.options.dropPrevious === true) droppedPrevious = await this.dropPrevious(log);
    this.report('done', progress);
    return this.result(
      'switched',
      progress,
      started,
      switchMs,
      handedOver,
      droppedPrevious,
      warnings,
      replaySeconds,
    );
  }

  private async dropPrevious(log: Logger): Promise<boolean> {
    const previous = (await this.options.versions.catalog.records()).find(
      (r) => r.version === this.previousLive,
    );
    if (!previous) return false;
    // The live projector leaves the old group when it follows the pointer.
    if (!(await this.awaitMembers(previous.groupId, (members) => members === 0))) {
      log.warn({ version: previous.version }, 'the previous version is still being written; not dropped');
      return false;
    }
    await this.options.versions.catalog.drop(previous.version);
    await this.admin.deleteGroups([previous.groupId]).catch((error: unknown) => {
      log.warn({ err: error, groupId: previous.groupId }, 'consumer group not deleted');
    });
    log.info({ version: previous.version }, 'dropped the previous version');
    return true;
  }

  private async awaitMembers(groupId: string, ready: (members: number) => boolean): Promise<boolean> {
    const deadline = Date.now() + (this.options.handoverTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      const [group] = (await this.admin.describeGroups([groupId])).groups;
      if (ready(group?.members.length ?? 0)) return true;
      await delay(200);
    }
    return false;
  }

  private async ends(): Promise<Map<string, number>> {
    const ends = new Map<string, number>();
    for (const topic of this.options.topics)
      for (const { partition, high } of await this.admin.fetchTopicOffsets(topic))
        ends.set(partitionKey(topic, partition), Number(high));
    return ends;
  }

  private progress(projector: Projector): RebuildProgress {
    const measured = projector.status().partitions;
    const partitions: PartitionProgress[] = measured.map(({ topic, partition, position, end }) => ({
      topic,
      partition,
      position,
      end,
    }));
    const applied = measured.reduce((sum, p) => sum + p.position - p.start, 0);
    const total = measured.reduce((sum, p) => sum + p.end - p.start, 0);
    const at = Date.now();
    this.startedApplied ??= applied;
    this.samples.push({ at, applied });
    while (this.samples.length > 2 && at - (this.samples[0]?.at ?? at) > 5_000) this.samples.shift();
    const first = this.samples[0];
    const seconds = first ? (at - first.at) / 1_000 : 0;
    const eventsPerSecond = first && seconds > 0 ? (applied - first.applied) / seconds : 0;
    return {
      applied,
      total,
      eventsPerSecond: Math.round(eventsPerSecond),
      etaSeconds: eventsPerSecond > 0 ? Math.round((total - applied) / eventsPerSecond) : null,
      partitions,
      updatedAt: new Date(at).toISOString(),
    };
  }

  /**
   * Within the lag allowed for the switch, measured on every partition the topics had when the
   * rebuild started: a partition not measured (not yet assigned, or its position forgotten after
   * the member joined the group again) is not caught up.
   */
  private caughtUp(progress: RebuildProgress, partitionsAtStart: ReadonlyMap<string, number>): boolean {
    const measured = new Set(progress.partitions.map((p) => partitionKey(p.topic, p.partition)));
    return (
      [...partitionsAtStart.keys()].every((key) => measured.has(key)) &&
      progress.total - progress.applied <= (this.options.maxLagToSwitch ?? 100)
    );
  }

  private reached(progress: RebuildProgress, ends: Map<string, number>): boolean {
    const positions = new Map(
      progress.partitions.map((p) => [partitionKey(p.topic, p.partition), p.position]),
    );
    return [...ends].every(([key, end]) => (positions.get(key) ?? -1) >= end);
  }

  private async save(change: Partial<VersionRecord>): Promise<void> {
    this.record = { ...this.record, ...change };
    await this.options.versions.catalog.save(this.record);
  }

  private report(phase: RebuildPhase, progress: RebuildProgress): void {
    this.options.onProgress?.({
      name: this.options.name,
      version: this.record.version,
      phase,
      resumed: this.resumed,
      until: this.record.until,
      progress,
    });
  }

  private result(
    outcome: RebuildResult['outcome'],
    progress: RebuildProgress,
    started: number,
    switchMs: number | null,
    handedOver: boolean | null,
    droppedPrevious: boolean,
    warnings: readonly string[],
    replaySeconds = (Date.now() - started) / 1_000,
  ): RebuildResult {
    const events = progress.applied - (this.startedApplied ?? 0);
    return {
      name: this.options.name,
      version: this.record.version,
      outcome,
      resumed: this.resumed,
      previousVersion: this.previousLive,
      events,
      replaySeconds: Math.round(replaySeconds * 1_000) / 1_000,
      eventsPerSecond: replaySeconds > 0 ? Math.round(events / replaySeconds) : 0,
      switchMs,
      handedOver,
      droppedPrevious,
      warnings,
    };
  }
}

/** What `gc` did with each version. */
export interface CollectedVersion {
  readonly version: number;
  readonly state: string;
  readonly dropped: boolean;
  readonly reason?: string;
}

/**
 * Drops the versions nobody reads any more (retired and failed ones) and their consumer groups.
 * Point-in-time versions are kept: they are queried on purpose; drop one with {@link dropVersion}.
 */
export async function collectGarbage(
  catalog: VersionCatalog,
  kafka: KafkaClients,
): Promise<CollectedVersion[]> {
  const live = await catalog.liveVersion();
  const described = describeVersions(await catalog.records(), live);
  const collected: CollectedVersion[] = [];
  for (const record of described) {
    if (record.state !== 'retired' && record.state !== 'failed') continue;
    collected.push(await dropVersion(catalog, kafka, record.version));
  }
  return collected;
}

/** Drops one version that is not live, and its consumer group (which must have no members). */
export async function dropVersion(
  catalog: VersionCatalog,
  kafka: KafkaClients,
  version: number,
): Promise<CollectedVersion> {
  const live = await catalog.liveVersion();
  const record = describeVersions(await catalog.records(), live).find((r) => r.version === version);
  if (!record) return { version, state: 'unknown', dropped: false, reason: `no version ${version}` };
  if (record.state === 'live')
    return { version, state: record.state, dropped: false, reason: 'it is live; switch to another first' };
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [group] = (await admin.describeGroups([record.groupId])).groups;
    if (group && group.members.length > 0)
      return {
        version,
        state: record.state,
        dropped: false,
        reason: `consumer group ${record.groupId} still has members (a rebuild or projector is writing it)`,
      };
    await catalog.drop(version);
    await admin.deleteGroups([record.groupId]).catch(() => undefined);
    return { version, state: record.state, dropped: true };
  } finally {
    await admin.disconnect();
  }
}

/**
 * Makes an earlier version live again (a rollback) or a caught-up one live. Its group goes on
 * from where it stopped, so the live projector brings it up to date.
 */
export async function switchLiveVersion(catalog: VersionCatalog, version: number): Promise<VersionRecord> {
  const live = await catalog.liveVersion();
  const records = await catalog.records();
  const record = describeVersions(records, live).find((r) => r.version === version);
  if (!record) throw new RebuildRefusedError([`no version ${version}`]);
  if (record.state === 'live') return record;
  if (record.state !== 'retired' && record.state !== 'caught-up')
    throw new RebuildRefusedError([
      `version ${version} is ${record.state}; only a retired or caught-up version can go live`,
    ]);
  if (!(await catalog.switchLive(version, live)))
    throw new RebuildRefusedError(['the live version moved meanwhile; try again']);
  const previous = records.find((r) => r.version === live);
  if (previous) await catalog.save({ ...previous, state: 'retired' });
  const switched = { ...record, state: 'live' as const, switchedAt: now() };
  await catalog.save(switched);
  return switched;
}
