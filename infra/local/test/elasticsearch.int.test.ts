import { Client } from '@elastic/elasticsearch';
import { uniqueName } from '@cqrs-shop/testing';

describe('Elasticsearch (official client against the local server)', () => {
  const client = new Client({ node: process.env.ELASTICSEARCH_URL ?? '' });
  const index = uniqueName('smoke-products').toLowerCase();

  afterAll(async () => {
    await client.indices.delete({ index }, { ignore: [404] });
    await client.close();
  });

  it('creates an index with an explicit mapping, bulk-indexes and searches it', async () => {
    await client.indices.create({
      index,
      mappings: {
        dynamic: 'strict',
        properties: {
          sku: { type: 'keyword' },
          name: { type: 'text' },
          priceCents: { type: 'long' },
        },
      },
    });
    const bulk = await client.bulk({
      refresh: 'wait_for',
      operations: [
        { index: { _index: index, _id: 'p1' } },
        { sku: 'MUG-1', name: 'Blue coffee mug', priceCents: 1200 },
        { index: { _index: index, _id: 'p2' } },
        { sku: 'TEE-1', name: 'Plain cotton shirt', priceCents: 1900 },
        { index: { _index: index, _id: 'p3' } },
        { sku: 'MUG-2', name: 'Red coffee mug', priceCents: 1500 },
        // Rejected by the strict mapping: the bulk reports it, the rest is indexed.
        { index: { _index: index, _id: 'p4' } },
        { sku: 'BAD-1', name: 'Unmapped', colour: 'green' },
      ],
    });
    expect(bulk.errors).toBe(true);
    expect(bulk.items.filter((item) => item.index?.error).map((item) => item.index?._id)).toEqual(['p4']);

    const found = await client.search<{ sku: string; priceCents: number }>({
      index,
      query: {
        bool: { must: { match: { name: 'coffee mug' } }, filter: { range: { priceCents: { lte: 1400 } } } },
      },
    });
    expect(found.hits.hits.map((hit) => hit._source?.sku)).toEqual(['MUG-1']);
    const total = found.hits.total;
    expect(typeof total === 'number' ? total : total?.value).toBe(1);
  });
});
