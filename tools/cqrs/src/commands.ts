// What each `cqrs projections …` command does, on the read models' own stores and Kafka.
import type { Logger } from '@cqrs-shop/logging';
import type { OutboxStatus } from '@cqrs-shop/outbox';
import {
  collectGarbage,
  type CollectedVersion,
  dropVersion,
  rebuildProjection,
  type RebuildResult,
  switchLiveVersion,
} from '@cqrs-shop/projector';
import { describeVersions, type VersionRecord } from '@cqrs-shop/read-models';
import type { Admin } from 'kafkajs';
import type { ProjectionName } from './args.js';
import type { ProgressSink } from './progress.js';
import { formatDuration } from './progress.js';
import type { ProjectionHandle, Shop } from './read-models.js';

/** One version as `list` shows it: its record, and where its consumer group stands. */
export interface ListedVersion extends VersionRecord {
  /** Committed offset per partition (null: nothing committed yet). */
  readonly offsets: readonly { topic: string; partition: number; committed: number | null; end: number }[];
  /** Events on its topics it has not consumed. */
  readonly lagEvents: number;
  /**
   * The version's store holds less than its group has committed (it lost data): its projector
   * replays from the store's checkpoints, and the lag counts from there.
   */
  readonly recovering: boolean;
}

export interface ListedProjection {
  readonly name: ProjectionName;
  readonly liveVersion: number | null;
  readonly versions: readonly ListedVersion[];
}

async function groupPosition(
  admin: Admin,
  handle: ProjectionHandle,
  record: VersionRecord,
  ends: Map<string, number>,
) {
  const [committed, stored] = await Promise.all([
    admin.fetchOffsets({ groupId: record.groupId, topics: [...handle.topics] }),
    // A version whose store does not answer (or is gone) is listed from its group alone.
    handle.versions
      .open(record.version)
      .projection.checkpoints(handle.topics)
      .catch(() => undefined),
  ]);
  let recovering = false;
  const offsets = committed.flatMap(({ topic, partitions }) =>
    partitions.map(({ partition, offset }) => {
      const at = Number(offset);
      const held = stored?.find((c) => c.topic === topic && c.partition === partition)?.next ?? 0;
      const behind = stored !== undefined && at > held;
      recovering ||= behind;
      return {
        topic,
        partition,
        committed: at >= 0 ? (behind ? held : at) : null,
        end: ends.get(`${topic}:${partition}`) ?? 0,
      };
    }),
  );
  const lagEvents = offsets.reduce((sum, o) => sum + Math.max(0, o.end - (o.committed ?? 0)), 0);
  return { offsets, lagEvents, recovering };
}

export async function listProjections(
  shop: Shop,
  names: readonly ProjectionName[],
): Promise<ListedProjection[]> {
  const admin = shop.kafka.admin();
  await admin.connect();
  try {
    return await Promise.all(
      names.map(async (name) => {
        const handle = shop.projection(name);
        const [live, records] = await Promise.all([
          handle.versions.catalog.liveVersion(),
          handle.versions.catalog.records(),
        ]);
        const ends = new Map<string, number>();
        for (const topic of handle.topics)
          for (const { partition, high } of await admin.fetchTopicOffsets(topic))
            ends.set(`${topic}:${partition}`, Number(high));
        const versions = await Promise.all(
          describeVersions(records, live).map(async (record) => ({
            ...record,
            ...(await groupPosition(admin, handle, record, ends)),
          })),
        );
        return { name, liveVersion: live, versions };
      }),
    );
  } finally {
    await admin.disconnect();
  }
}

export function formatList(projections: readonly ListedProjection[]): string {
  const rows = [['PROJECTION', 'VERSION', 'STATE', 'LAG', 'PROGRESS', 'CONSUMER GROUP', 'NOTE']];
  for (const projection of projections) {
    if (projection.versions.length === 0)
      rows.push([projection.name, '-', 'no versions yet', '', '', '', '']);
    for (const v of projection.versions) {
      const progress =
        v.state === 'rebuilding' && v.progress
          ? `${v.progress.applied}/${v.progress.total} (${formatDuration((Date.now() - Date.parse(v.progress.updatedAt)) / 1_000)} ago)`
          : '';
      const note = [v.until ? `as of ${v.until}` : '', v.note ?? ''].filter(Boolean).join('; ');
      rows.push([
        projection.name,
        String(v.version),
        v.recovering ? `${v.state}, rebuilding (its store lost data)` : v.state,
        String(v.lagEvents),
        progress,
        v.groupId,
        note,
      ]);
    }
  }
  return textTable(rows);
}

/** Rows as left-aligned columns, two spaces apart, one line each. */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return `${rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/**
 * The outbox under the projections: events committed that no projection can have yet, and
 * rows the relay set aside. Unknown (with the reason) when the relay does not answer.
 */
export function formatOutbox(outbox: OutboxStatus): string {
  if (!outbox.known) return `outbox: unknown (${outbox.error ?? 'no answer'})\n`;
  const oldest =
    outbox.oldestAgeSeconds === null
      ? ''
      : `, the oldest written ${formatDuration(outbox.oldestAgeSeconds)} ago`;
  const quarantined =
    (outbox.quarantined ?? 0) > 0 ? `; ${outbox.quarantined} quarantined (see: cqrs outbox list)` : '';
  return `outbox: ${outbox.backlog ?? 0} events waiting to be published${oldest}${quarantined}\n`;
}

export interface RebuildSettings {
  readonly until: string | undefined;
  readonly dropPrevious: boolean;
  readonly maxLag: number;
  readonly concurrency: number;
  /** How often each rebuild records and reports its progress. */
  readonly progressIntervalMs?: number;
}

/** Rebuilds the projections at once, each with its own progress; settles every one. */
export async function rebuildProjections(
  shop: Shop,
  names: readonly ProjectionName[],
  settings: RebuildSettings,
  progress: ProgressSink,
  logger: Logger,
  signal: AbortSignal,
): Promise<PromiseSettledResult<RebuildResult>[]> {
  const settled = await Promise.allSettled(
    names.map((name) => {
      const handle = shop.projection(name);
      return rebuildProjection({
        name,
        topics: handle.topics,
        readFirst: handle.readFirst,
        deadLetterTopic: handle.deadLetterTopic,
        kafka: shop.kafka,
        versions: handle.versions,
        logger,
        ...(settings.until === undefined ? {} : { until: settings.until }),
        dropPrevious: settings.dropPrevious,
        maxLagToSwitch: settings.maxLag,
        partitionsConcurrently: settings.concurrency,
        ...(settings.progressIntervalMs === undefined
          ? {}
          : { progressIntervalMs: settings.progressIntervalMs }),
        onProgress: (report) => {
          progress.update(report);
        },
        signal,
      });
    }),
  );
  progress.finish();
  return settled;
}

export function formatRebuildResult(result: RebuildResult): string {
  const head = `${result.name}: version ${result.version}${result.resumed ? ' (resumed)' : ''}`;
  const replay = `${result.events.toLocaleString('en-US')} events in ${result.replaySeconds}s (${result.eventsPerSecond.toLocaleString('en-US')} events/s)`;
  switch (result.outcome) {
    case 'switched':
      return (
        `${head} is live (was ${result.previousVersion}); ${replay}; switched in ${result.switchMs} ms` +
        (result.handedOver
          ? ''
          : ' (no live projector took over yet: it continues from the committed offsets when it starts)') +
        (result.droppedPrevious ? `; version ${result.previousVersion} dropped` : '') +
        '\n'
      );
    case 'point-in-time':
      return `${head} holds the shop as of the point in time; ${replay}; query it with ?modelVersion=${result.version}\n`;
    case 'stopped':
      return `${head} stopped after ${replay}; run the same command again to resume\n`;
  }
}

export async function switchVersion(
  shop: Shop,
  name: ProjectionName,
  version: number,
): Promise<VersionRecord> {
  return switchLiveVersion(shop.projection(name).versions.catalog, version);
}

export async function dropOne(shop: Shop, name: ProjectionName, version: number): Promise<CollectedVersion> {
  return dropVersion(shop.projection(name).versions.catalog, shop.kafka, version);
}

export async function collect(
  shop: Shop,
  names: readonly ProjectionName[],
): Promise<{ name: ProjectionName; versions: CollectedVersion[] }[]> {
  const collected = [];
  for (const name of names)
    collected.push({
      name,
      versions: await collectGarbage(shop.projection(name).versions.catalog, shop.kafka),
    });
  return collected;
}

/** A redrive as the projector answered it: unparked or why not, and the replica that ran it. */
export interface RedriveOutcome {
  readonly aggregateKey: string;
  readonly redriven: boolean;
  readonly reason?: string;
  readonly applied?: number;
  readonly ranAt?: string;
}

/**
 * Asks a projector (any replica: it sends each redrive on to the one consuming the aggregate's
 * partition) to redrive one parked aggregate, or all of them.
 */
export async function redriveParked(
  projectorUrl: string,
  aggregate: string,
  token: string,
): Promise<RedriveOutcome[]> {
  const answer = await fetch(new URL('/projection/redrive', projectorUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(aggregate === 'all' ? { all: true } : { aggregate }),
    signal: AbortSignal.timeout(10 * 60_000),
  });
  const body = (await answer.json()) as
    RedriveOutcome | { results: RedriveOutcome[] } | { title?: string; detail?: string };
  if ('results' in body) return body.results;
  if ('aggregateKey' in body) return [body];
  throw new Error(
    `the projector at ${projectorUrl} answered ${answer.status}: ${body.detail ?? body.title ?? ''}`,
  );
}

export function formatRedrive(projection: string, results: readonly RedriveOutcome[]): string {
  if (results.length === 0) return `${projection}: no aggregate is parked\n`;
  return results
    .map((result) =>
      result.redriven
        ? `${projection}: ${result.aggregateKey} redriven (${result.applied ?? 0} events applied, at ${result.ranAt ?? '?'})\n`
        : `${projection}: ${result.aggregateKey} stays parked: ${result.reason ?? 'no reason given'}\n`,
    )
    .join('');
}
