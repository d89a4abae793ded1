// The registry against the tree: every service folder has an entry and every entry a folder;
// a projector is a thin service (main, settings, telemetry) over a read model that lives in
// @cqrs-shop/read-models. This is the recipe for a new projector in the README, checked.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { readModelVersions } from '@cqrs-shop/read-models';
import { type ProjectionEntry, PROJECTORS, SERVICES, type ServiceEntry } from '@cqrs-shop/service-registry';
import { repoRoot } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';

const entries: readonly ServiceEntry[] = SERVICES;
const folders = (path: string) =>
  readdirSync(join(repoRoot, path), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

describe('the service registry', () => {
  it('has an entry for every folder under services/, and a folder for every entry', () => {
    expect(entries.map((entry) => entry.name).sort()).toEqual(folders('services'));
  });

  it('gives every service ports, URL variables and images of its own', () => {
    const unique = (values: readonly (string | number | undefined)[]) => {
      const given = values.filter((value) => value !== undefined);
      expect(new Set(given).size).toBe(given.length);
    };
    unique(entries.flatMap((entry) => [entry.port.default, entry.admin?.default]));
    unique(entries.flatMap((entry) => [entry.port.variable, entry.admin?.variable]));
    unique(entries.map((entry) => entry.urlVariable));
    unique(entries.map((entry) => entry.image));
  });

  it.each(PROJECTORS.map((projector) => [projector.name, projector] as const))(
    '%s is a thin service over a read model of @cqrs-shop/read-models',
    (name, projector) => {
      expect(readdirSync(join(repoRoot, 'services', name, 'src')).sort()).toEqual([
        'config.ts',
        'main.ts',
        'telemetry.ts',
      ]);
      const model = projector.projection.name;
      expect(folders('packages/read-models/src')).toContain(model);
      expect(readdirSync(join(repoRoot, 'packages/read-models/src', model))).toEqual(
        expect.arrayContaining([
          'layout.ts',
          'store.ts',
          'parked.ts',
          'catalog.ts',
          'projection.ts',
          'reader.ts',
        ]),
      );
      const { reads, readsFirst = [] }: ProjectionEntry = projector.projection;
      for (const read of readsFirst) expect(reads).toContain(read);
    },
  );

  it('finds the versions of every projector’s read model by its registry name', async () => {
    // Clients that are never asked anything: opening a read model's versions connects nowhere.
    const mongo = new MongoClient('mongodb://127.0.0.1:1');
    const es = new ElasticsearchClient({ node: 'http://127.0.0.1:1' });
    const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true });
    try {
      for (const { projection } of PROJECTORS) {
        const versions = readModelVersions(projection.name, {
          mongo: () => mongo.db('registry-test'),
          es,
          redis,
          indexPrefix: 'registry-test',
          keyPrefix: 'registry-test:',
        });
        expect(typeof versions.catalog.liveVersion).toBe('function');
        expect(typeof versions.open).toBe('function');
      }
    } finally {
      redis.disconnect();
      await Promise.all([mongo.close(), es.close()]);
    }
  });
});
