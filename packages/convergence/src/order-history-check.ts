// Order history in MongoDB, through the read model's own reader (collection names included).
//
// Driven by one pass over the collection rather than lookups by id: FerretDB (the suite's MongoDB)
// answers every filtered or sorted find with a full scan, and sorts in memory, so `$in` per batch
// would cost a scan per batch. A plain cursor streams. Each page of documents is compared with
// its orders read from MySQL by id; the pass over the write model then reports the orders the
// scan did not meet.
import { OrderHistoryReader, type OrderViewsReader, type StoredOrder } from '@cqrs-shop/read-models';
import type { Collection, Db } from 'mongodb';
import { extraDifference, missingDifference, orderKey } from './differences.js';
import { FingerprintSet } from './fingerprint-set.js';
import { compareOrderHistory, compareOrderView } from './order-history-compare.js';
import type { CheckSettings, ReadModelCheck } from './read-model-check.js';
import { ReadModelTally } from './report.js';

/**
 * With `views`, each order's view in Redis is compared too, while the views are complete (the
 * gateway reads them only then): its JSON field by field and its place in its customer's orders.
 * A view of an order the documents do not hold is not looked for.
 */
export function orderHistoryCheck(
  db: Db,
  version: number,
  settings: CheckSettings,
  views?: OrderViewsReader,
): ReadModelCheck {
  const reader = new OrderHistoryReader(db, version);
  const tally = new ReadModelTally('order-history', settings.maxDifferences);
  const seen = new FingerprintSet();
  return {
    tally,
    async start(writeModel) {
      const withViews = views !== undefined && (await views.complete());
      for await (const page of storedOrderPages(reader.orders, settings.batchSize)) {
        const orders = await writeModel.ordersByIds(page.map((document) => document._id));
        const viewed = withViews ? await views.inspect(page.map((d) => ({ ...d, orderId: d._id }))) : [];
        page.forEach((document, i) => {
          const order = orders.get(document._id);
          if (order === undefined) {
            tally.record([extraDifference('order-history', orderKey(document._id), document.version)]);
            return;
          }
          seen.add(order.orderId);
          tally.record(compareOrderHistory(order, document));
          const view = viewed[i];
          if (view) tally.record(compareOrderView(order, view));
        });
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
