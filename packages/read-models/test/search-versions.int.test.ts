import { Client } from '@elastic/elasticsearch';
import { SearchVersions, searchIndices } from '@cqrs-shop/read-models';
import { dropIndices, uniqueName } from '@cqrs-shop/testing';

describe('search versions made by an earlier release (real Elasticsearch)', () => {
  const es = new Client({ node: process.env.ELASTICSEARCH_URL ?? '' });
  const prefix = uniqueName('mapping');
  afterAll(async () => {
    await dropIndices(es, prefix);
    await es.close();
  });

  it('get the fields added since, so that strict mappings accept today’s documents', async () => {
    const { orders } = searchIndices(prefix, 1);
    // As an older release made it: strict, without the sales channel.
    await es.indices.create({
      index: orders,
      mappings: {
        dynamic: 'strict',
        properties: { orderId: { type: 'keyword' }, status: { type: 'keyword' } },
      },
    });
    await new SearchVersions(es, prefix).create(1);
    const mapping = await es.indices.getMapping({ index: orders });
    expect(Object.keys(mapping[orders]?.mappings.properties ?? {})).toEqual(
      expect.arrayContaining(['orderId', 'status', 'channel', 'customerName']),
    );
    await es.index({
      index: orders,
      id: 'o-1',
      document: { orderId: 'o-1', status: 'PLACED', channel: 'WEB' },
      refresh: true,
    });
    expect((await es.get({ index: orders, id: 'o-1' })).found).toBe(true);
  });

  it('refuse a field whose type changed, naming it: that needs a rebuild into a new version', async () => {
    const { products } = searchIndices(prefix, 2);
    await es.indices.create({
      index: products,
      mappings: { dynamic: 'strict', properties: { sku: { type: 'long' } } },
    });
    await expect(new SearchVersions(es, prefix).create(2)).rejects.toThrow(/sku/);
  });
});
