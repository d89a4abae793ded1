// Order history in MongoDB, through the read model's own reader (collection names included).
//
// Driven by one pass over the collection rather than lookups by id: FerretDB (the suite's MongoDB)
// answers every filtered or sorted find with a full scan, and sorts in memory, so `$in` per batch
// would cost a scan per batch. A plain cursor streams. Each page of documents is compared with
// its orders read from MySQL by id; the pass over the write model then reports the orders the
// scan did not meet.
import { OrderHistoryReader, type StoredOrder } from '@cqrs-shop/read-models';
import type { Collection, Db } from 'mongodb';
import { extraDifference, missingDifference, orderKey } from './differences.js';
import { FingerprintSet } from './fingerprint-set.js';
import { compareOrderHistory } from './order-history-compare.js';
import type { CheckSettings, ReadModelCheck } from './read-model-check.js';
import { ReadModelTally } from './report.js';

export function orderHistoryCheck(db: Db, version: number, settings: CheckSettings): ReadModelCheck {
  const reader = new OrderHistoryReader(db, version);
  const tally = new ReadModelTally('order-history', settings.maxDifferences);
  const seen = new FingerprintSet();
  return {
    tally,
    async start(writeModel) {
      for await (const page of storedOrderPages(reader.orders, settings.batchSize)) {
        const orders = await writeModel.ordersByIds(page.map((document) => document._id));
        for (const document of page) {
          const order = orders.get(document._id);
          if (order === undefined) {
            tally.record([extraDifference('order-history', orderKey(document._id), document.version)]);
            continue;
          }
          seen.add(order.orderId);
          tally.record(compareOrderHistory(order, document));
        }
      }
    },
    compareOrders(orders) {
      tally.countCompared(orders.length);
      for (const order of orders)
        if (!seen.has(order.orderId))
          tally.record([missingDifference('order-history', orderKey(order.orderId), order.version)]);
      return Promise.resolve();
    },
    async compareProducts() {
      // Order history keeps product names and SKUs inside the orders; there are no product documents.
    },
    async finish() {
      // The scan in `start` met every document, extras included.
    },
  };
}

/** Every stored order, a page at a time, in whatever order the server keeps them. */
async function* storedOrderPages(
  orders: Collection<StoredOrder>,
  batchSize: number,
): AsyncGenerator<StoredOrder[]> {
  let page: StoredOrder[] = [];
  for await (const document of orders.find({}).batchSize(batchSize)) {
    page.push(document);
    if (page.length === batchSize) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
