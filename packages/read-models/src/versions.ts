/**
 * The versions of a read model: which one is live, and what each is. A rebuild
 * fills a new version while the live one serves; switching moves one pointer (one document, one
 * key, or every alias in one request), so a reader sees either version whole, never a mix.
 */
import { ShopError } from '@cqrs-shop/errors';

/** What a version is, as recorded. `live` and `retired` are also derived from the pointer. */
export const VERSION_STATES = [
  'live',
  'rebuilding',
  'caught-up',
  'retired',
  'failed',
  'point-in-time',
] as const;

export type VersionState = (typeof VERSION_STATES)[number];

/** One partition's place in a rebuild. */
export interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to apply. */
  readonly position: number;
  /** The partition's end (high watermark) when last measured. */
  readonly end: number;
}

/** How far a rebuild has got, as the rebuilding process last recorded it. */
export interface RebuildProgress {
  /** Events consumed so far (applied, already there, or beyond `until`). */
  readonly applied: number;
  /** Events the topics held when last measured. */
  readonly total: number;
  readonly eventsPerSecond: number;
  /** Null while the rate is unknown. */
  readonly etaSeconds: number | null;
  readonly partitions: readonly PartitionProgress[];
  readonly updatedAt: string;
}

export interface VersionRecord {
  readonly version: number;
  readonly state: VersionState;
  /** The consumer group whose committed offsets say what this version has applied. */
  readonly groupId: string;
  readonly createdAt: string;
  /** A point-in-time version holds the events that happened up to this instant only. */
  readonly until: string | null;
  /** When it became live, if it ever did. */
  readonly switchedAt: string | null;
  readonly progress: RebuildProgress | null;
  /** Why it failed, or a note about how its build ended. */
  readonly note: string | null;
}

/**
 * The versions of one read model in its store. The pointer is the truth: a crash between moving
 * it and updating the records is read back correctly by {@link describeVersions}.
 */
export interface VersionCatalog {
  /** The version reads go to; null before any projector has started. */
  liveVersion(): Promise<number | null>;
  /** Every recorded version, in ascending order, as stored. */
  records(): Promise<VersionRecord[]>;
  save(record: VersionRecord): Promise<void>;
  /** Creates the version's collections, indices or keys (idempotent). */
  create(version: number): Promise<void>;
  /**
   * Makes `version` the live one if `expected` still is (null: none yet), atomically; returns
   * whether it did. The version must have been created.
   */
  switchLive(version: number, expected: number | null): Promise<boolean>;
  /** Deletes the version's data and its record. Never the live one. */
  drop(version: number): Promise<void>;
  /** Makes everything written to the version visible to every read (a search refresh). */
  settle(version: number): Promise<void>;
}

/** Records with the state the pointer implies: only the pointed-at version is live. */
export function describeVersions(records: readonly VersionRecord[], live: number | null): VersionRecord[] {
  return [...records]
    .sort((a, b) => a.version - b.version)
    .map((record) => {
      if (record.version === live) return { ...record, state: 'live' };
      // Recorded live but no longer pointed at: the pointer moved on (a switch, or a rollback).
      if (record.state === 'live') return { ...record, state: 'retired' };
      return record;
    });
}

/** The next version number: above every recorded one and the live one. */
export function nextVersion(records: readonly VersionRecord[], live: number | null): number {
  return Math.max(live ?? 0, ...records.map((r) => r.version)) + 1;
}

/** A read model's versions were asked for one that cannot be (not a positive integer). */
export class VersionCatalogError extends ShopError<'read-model.bad-version'> {
  constructor(message: string) {
    super('read-model.bad-version', message);
  }
}

export function assertVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 1)
    throw new VersionCatalogError(`a read-model version is a positive integer, not ${String(version)}`);
}
