/** A call that did not settle within its time limit. */
import { ShopError } from '@cqrs-shop/errors';
export class TimeoutError extends ShopError<'http.timeout'> {
  constructor(message: string) {
    super('http.timeout', message, { canRetry: true });
  }
}

/**
 * Settles like `work`, or rejects with a {@link TimeoutError} naming `what` after `ms`. The work
 * itself goes on (a promise cannot be cancelled); its late outcome is ignored.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new TimeoutError(`${what} did not answer within ${ms} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
