import { uniqueName } from '@cqrs-shop/testing';
import { MongoClient } from 'mongodb';

interface OrderDocument {
  _id: string;
  customerId: string;
  placedAt: Date;
  totalCents: number;
  version: number;
}

describe('MongoDB wire protocol (mongodb driver against the local server)', () => {
  const client = new MongoClient(process.env.MONGODB_URL ?? '');
  const database = client.db(uniqueName('smoke'));

  afterAll(async () => {
    await database.dropDatabase();
    await client.close();
  });

  it('inserts, upserts and finds with a sort on an index', async () => {
    const orders = database.collection<OrderDocument>('orders');
    await orders.createIndex({ customerId: 1, placedAt: -1 });
    await orders.insertMany([
      {
        _id: 'o1',
        customerId: 'c1',
        placedAt: new Date('2026-01-01T10:00:00Z'),
        totalCents: 500,
        version: 1,
      },
      {
        _id: 'o2',
        customerId: 'c1',
        placedAt: new Date('2026-01-02T10:00:00Z'),
        totalCents: 700,
        version: 1,
      },
      {
        _id: 'o3',
        customerId: 'c2',
        placedAt: new Date('2026-01-03T10:00:00Z'),
        totalCents: 900,
        version: 1,
      },
    ]);

    // A version-guarded upsert: applies when the stored version is older, creates when absent.
    const newer = await orders.updateOne(
      { _id: 'o1', version: { $lt: 2 } },
      { $set: { totalCents: 550, version: 2 } },
    );
    const stale = await orders.updateOne({ _id: 'o1', version: { $lt: 1 } }, { $set: { totalCents: 1 } });
    const created = await orders.updateOne(
      { _id: 'o4' },
      { $set: { customerId: 'c1', placedAt: new Date('2026-01-04T10:00:00Z'), totalCents: 300, version: 1 } },
      { upsert: true },
    );
    expect(newer.modifiedCount).toBe(1);
    expect(stale.matchedCount).toBe(0);
    expect(created.upsertedId).toBe('o4');

    const newestFirst = await orders.find({ customerId: 'c1' }).sort({ placedAt: -1 }).toArray();
    expect(newestFirst.map((o) => [o._id, o.totalCents])).toEqual([
      ['o4', 300],
      ['o2', 700],
      ['o1', 550],
    ]);
  });
});
