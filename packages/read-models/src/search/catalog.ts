import type { Client } from '@elastic/elasticsearch';
import { ORDERS_MAPPING, PRODUCTS_MAPPING } from '@cqrs-shop/projections';
import { searchAliases, searchIndices, searchVersionsIndex } from './layout.js';
import { assertVersion, type VersionCatalog, type VersionRecord } from '../versions.js';

/** The customers the search model joins into orders: kept per version, like the orders. */
export const SEARCH_CUSTOMERS_MAPPING = {
  dynamic: 'strict',
  properties: {
    customerId: { type: 'keyword' },
    name: { type: 'keyword', index: false },
    email: { type: 'keyword', index: false },
    version: { type: 'integer' },
    // The version whose details are joined into every order that waited for them.
    joinedVersion: { type: 'integer' },
  },
} as const;

/** Per partition read, the next offset to apply: what the version holds, kept with it. */
const CHECKPOINTS_MAPPING = { dynamic: 'strict', properties: { next: { type: 'long' } } } as const;
const PARKED_MAPPING = { dynamic: 'strict', properties: { reason: { type: 'text', index: false } } } as const;
// One document holds every record: read by id it needs no refresh, and it changes rarely.
const TARGETS_MAPPING = { dynamic: false, properties: {} } as const;
const RECORDS_ID = 'versions';

const VERSIONED_INDEX = /-v([1-9][0-9]*)$/;

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'meta' in error
    ? (error as { meta?: { statusCode?: number } }).meta?.statusCode
    : undefined;
}

/**
 * Search versions: the aliases are the live pointer (all three move in one `_aliases` request,
 * which Elasticsearch applies atomically), and a small index records every version.
 */
export class SearchVersions implements VersionCatalog {
  private readonly aliases: ReturnType<typeof searchAliases>;
  private readonly recordsIndex: string;

  constructor(
    private readonly es: Client,
    private readonly indexPrefix: string,
  ) {
    this.aliases = searchAliases(indexPrefix);
    this.recordsIndex = searchVersionsIndex(indexPrefix);
  }

  async liveVersion(): Promise<number | null> {
    const found = await this.es.indices.getAlias({ name: this.aliases.orders }, { ignore: [404] });
    const indices = Object.keys(found).filter((name) => name !== 'error' && name !== 'status');
    const version = indices.map((name) => VERSIONED_INDEX.exec(name)?.[1]).find(Boolean);
    return version === undefined ? null : Number(version);
  }

  async records(): Promise<VersionRecord[]> {
    return (await this.heldRecords()).records;
  }

  async save(record: VersionRecord): Promise<void> {
    assertVersion(record.version);
    await this.ensureIndex(this.recordsIndex, TARGETS_MAPPING);
    await this.changeRecords((records) => [...records.filter((r) => r.version !== record.version), record]);
  }

  private async heldRecords(): Promise<{ records: VersionRecord[]; seqNo?: number; primaryTerm?: number }> {
    const found = await this.es.get<{ records: VersionRecord[] }>(
      { index: this.recordsIndex, id: RECORDS_ID },
      { ignore: [404] },
    );
    if (!found.found) return { records: [] };
    return {
      records: [...(found._source?.records ?? [])].sort((a, b) => a.version - b.version),
      ...(found._seq_no === undefined ? {} : { seqNo: found._seq_no }),
      ...(found._primary_term === undefined ? {} : { primaryTerm: found._primary_term }),
    };
  }

  /** Read, change, write back if nobody wrote meanwhile (a rebuild and `gc` may overlap). */
  private async changeRecords(change: (records: VersionRecord[]) => VersionRecord[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const held = await this.heldRecords();
      try {
        await this.es.index({
          index: this.recordsIndex,
          id: RECORDS_ID,
          document: { records: change(held.records) },
          ...(held.seqNo === undefined
            ? { op_type: 'create' as const }
            : { if_seq_no: held.seqNo, if_primary_term: held.primaryTerm ?? 1 }),
        });
        return;
      } catch (error) {
        if (statusOf(error) !== 409 || attempt >= 10) throw error;
      }
    }
  }

  async create(version: number): Promise<void> {
    assertVersion(version);
    const indices = searchIndices(this.indexPrefix, version);
    await this.ensureIndex(indices.orders, ORDERS_MAPPING);
    await this.ensureIndex(indices.products, PRODUCTS_MAPPING);
    await this.ensureIndex(indices.customers, SEARCH_CUSTOMERS_MAPPING);
    await this.ensureIndex(indices.parked, PARKED_MAPPING);
    // Read by id (real time) or after an explicit refresh: periodic refreshes would only cost.
    await this.ensureIndex(indices.checkpoints, CHECKPOINTS_MAPPING, { refresh_interval: '-1' });
  }

  async switchLive(version: number, expected: number | null): Promise<boolean> {
    assertVersion(version);
    const to = searchIndices(this.indexPrefix, version);
    const from = expected === null ? undefined : searchIndices(this.indexPrefix, expected);
    if (from === undefined && (await this.liveVersion()) !== null) return false;
    const names = ['orders', 'products', 'customers'] as const;
    try {
      await this.es.indices.updateAliases({
        actions: names.flatMap((name) => [
          // `must_exist` makes the whole request fail if the live version is no longer `expected`.
          ...(from ? [{ remove: { index: from[name], alias: this.aliases[name], must_exist: true } }] : []),
          { add: { index: to[name], alias: this.aliases[name], is_write_index: true } },
        ]),
      });
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
    // Two first switches racing each other could both add an alias; the lower version wins.
    if (from === undefined) {
      const live = await this.aliasedVersions();
      if (live.length > 1) {
        const loser = Math.max(...live);
        await this.es.indices.updateAliases({
          actions: names.map((name) => ({
            remove: { index: searchIndices(this.indexPrefix, loser)[name], alias: this.aliases[name] },
          })),
        });
        return loser !== version;
      }
    }
    return true;
  }

  async settle(version: number): Promise<void> {
    const { orders, products, customers } = searchIndices(this.indexPrefix, version);
    await this.es.indices.refresh({ index: [orders, products, customers] });
  }

  async drop(version: number): Promise<void> {
    assertVersion(version);
    if ((await this.liveVersion()) === version)
      throw new Error(`search version ${version} is live and cannot be dropped`);
    // Exact names: Elasticsearch may refuse wildcard deletes (action.destructive_requires_name).
    await this.es.indices.delete({
      index: Object.values(searchIndices(this.indexPrefix, version)),
      ignore_unavailable: true,
    });
    await this.changeRecords((records) => records.filter((r) => r.version !== version));
  }

  private async aliasedVersions(): Promise<number[]> {
    const found = await this.es.indices.getAlias({ name: this.aliases.orders }, { ignore: [404] });
    return Object.keys(found).flatMap((name) => {
      const version = VERSIONED_INDEX.exec(name)?.[1];
      return version === undefined ? [] : [Number(version)];
    });
  }

  private async ensureIndex(index: string, mappings: object, settings?: object): Promise<void> {
    if (await this.es.indices.exists({ index })) {
      // An index made by an earlier release gets the fields added since (strict mappings refuse
      // unknown fields, so every event would fail). Adding fields is all Elasticsearch allows in
      // place; a changed field fails here, loudly, and needs a rebuild into a new version.
      await this.es.indices.putMapping({ index, ...mappings });
      return;
    }
    try {
      await this.es.indices.create({ index, mappings, ...(settings ? { settings } : {}) });
    } catch (error) {
      // Another process created it first.
      if (!(await this.es.indices.exists({ index }))) throw error;
    }
  }
}
