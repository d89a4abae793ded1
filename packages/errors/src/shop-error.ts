export interface ShopErrorOptions {
  /** Whether the same operation may succeed later (a server away, a race lost). @default false */
  readonly canRetry?: boolean;
  readonly cause?: unknown;
}

/** An error of the suite: see the package's index for the convention. */
export class ShopError<Code extends `${string}.${string}` = `${string}.${string}`> extends Error {
  /** What went wrong, from the closed list of its area. */
  readonly code: Code;
  readonly canRetry: boolean;

  constructor(code: Code, message: string, options: ShopErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // The subclass's name, in logs and stack traces.
    this.name = new.target.name;
    this.code = code;
    this.canRetry = options.canRetry ?? false;
  }
}
