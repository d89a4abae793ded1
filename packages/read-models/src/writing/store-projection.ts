import {
  type AggregateEvents,
  type AggregateFold,
  type ApplyRejection,
  type ProjectedEvent,
  type Projection,
  StoreUnavailableError,
} from './contract.js';

/**
 * A store adapter as the runtime drives it, its "not answering" errors (as `unavailable` tells
 * them) turned into {@link StoreUnavailableError}, which the runtime waits out.
 */
export function storeProjection(
  store: Projection,
  storeName: string,
  unavailable: (error: unknown) => boolean,
): Projection {
  const answering = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (unavailable(error))
        throw new StoreUnavailableError(`${storeName} is not answering`, { cause: error });
      throw error;
    }
  };
  return {
    prepare: (aggregates) =>
      answering(async () => {
        const prepared = await store.prepare(aggregates);
        return {
          folds: prepared.folds,
          write: (checkpoints) => answering(() => prepared.write(checkpoints)),
        };
      }),
    checkpoints: (topics) => answering(() => store.checkpoints(topics)),
  };
}

/**
 * Applies one event on its own through the batch path (tests and tools): a batch of one
 * aggregate, folded again while its write loses races.
 */
export async function applyOne(
  store: Pick<Projection, 'prepare'>,
  event: ProjectedEvent,
): Promise<'applied' | 'already-applied' | ApplyRejection> {
  const key = `${event.envelope.aggregateType}:${event.envelope.aggregateId}`;
  for (let attempt = 1; attempt <= 10; attempt++) {
    const prepared = await store.prepare([{ key, events: [event] }]);
    const [fold] = prepared.folds;
    if (fold?.rejection) return fold.rejection;
    const unwritten = (await prepared.write([])).unwritten.get(key);
    if (unwritten?.kind === 'failed') throw unwritten.error;
    if (!unwritten) return fold?.outcomes[0] === 'applied' ? 'applied' : 'already-applied';
  }
  throw new Error(`${key} kept changing while version ${event.envelope.aggregateVersion} was applied`);
}

/**
 * A store's folds in the order of the aggregates it was given; an aggregate it did not fold
 * does not concern its read model, and its events are ignored.
 */
export function foldsInOrder(
  aggregates: readonly AggregateEvents[],
  folds: ReadonlyMap<string, AggregateFold>,
): AggregateFold[] {
  return aggregates.map((a) => folds.get(a.key) ?? { outcomes: a.events.map(() => 'ignored' as const) });
}
