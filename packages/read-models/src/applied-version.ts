import type { AggregateType } from '@cqrs-shop/events';

/**
 * How far a read model has got with one aggregate: the last version it applied (0 when it has
 * seen none), or `not-read` when the read model does not consume that aggregate type at all — a
 * change to it can never show there, so waiting for it would be pointless.
 */
export type AppliedVersion = number | 'not-read';

/** A read model that records, per aggregate, the last version it applied. */
export interface AppliedVersions {
  appliedVersion(aggregateType: AggregateType, aggregateId: string): Promise<AppliedVersion>;
}
