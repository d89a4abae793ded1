import { type Projection, StoreUnavailableError } from './types.js';

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
