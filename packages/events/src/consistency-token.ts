import { type AggregateType, isAggregateType } from './catalog.js';

/** The change a consistency token stands for: one aggregate at one version. */
export interface ConsistencyPoint {
  readonly aggregateType: AggregateType;
  readonly aggregateId: string;
  readonly version: number;
}

const FORMAT = 'v1';

/**
 * Consistency tokens: what a command answers so that a later read can wait until the read side
 * has applied that change (read-your-own-writes). Opaque to clients (base64url), readable by the
 * query gateway, which serves the read once the projection has applied `version` of the aggregate.
 */
export const consistencyToken = {
  encode(point: ConsistencyPoint): string {
    return Buffer.from(
      `${FORMAT}:${point.aggregateType}:${point.aggregateId}:${point.version}`,
      'utf8',
    ).toString('base64url');
  },

  /** Returns undefined for anything that is not a token this suite issued. */
  decode(token: string): ConsistencyPoint | undefined {
    if (token.length > 200 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const [format, aggregateType, aggregateId, version, ...rest] = Buffer.from(token, 'base64url')
      .toString('utf8')
      .split(':');
    if (format !== FORMAT || rest.length > 0 || !aggregateType || !isAggregateType(aggregateType))
      return undefined;
    if (
      !aggregateId ||
      !/^[\x21-\x7e]{1,255}$/.test(aggregateId) ||
      !version ||
      !/^[1-9]\d{0,9}$/.test(version)
    ) {
      return undefined;
    }
    return { aggregateType, aggregateId, version: Number(version) };
  },
};
