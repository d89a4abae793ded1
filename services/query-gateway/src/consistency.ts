import type { ConsistencyPoint, ConsistencyTokens } from '@cqrs-shop/events';
import { HttpProblem } from '@cqrs-shop/http';
import type { AppliedVersions } from '@cqrs-shop/read-models';

export const CONSISTENCY_HEADER = 'X-Consistency-Token';
/** Tokens one request may carry (one per command it depends on). */
export const MAX_TOKENS = 16;

/**
 * The changes a read must reflect: the tokens in `X-Consistency-Token`, separated by commas
 * when a client depends on several commands. A malformed token is a 400, never ignored: a
 * client that sent one expects its read to wait.
 */
export function parseConsistencyTokens(
  header: string | undefined,
  signed: ConsistencyTokens,
): ConsistencyPoint[] {
  if (header === undefined || header.trim() === '') return [];
  const tokens = header.split(',').map((token) => token.trim());
  if (tokens.length > MAX_TOKENS) throw invalidHeader(`carries more than ${MAX_TOKENS} tokens`);
  return tokens.map((token, index) => {
    const point = signed.decode(token);
    // Forged, altered, or signed with a key no longer accepted: all the same to the client.
    if (!point)
      throw invalidHeader(`token ${index + 1} is not a consistency token issued by the command API`);
    return point;
  });
}

/**
 * How long to wait: the configured default, or what the client asks with `Prefer: wait=<s>`
 * (RFC 7240), never longer than the configured maximum.
 */
export function waitBudgetMs(prefer: string | undefined, defaultMs: number, maxMs: number): number {
  const asked = prefer
    ?.split(',')
    .map((preference) => /^\s*wait\s*=\s*"?(\d{1,6})(?:\.(\d{1,3}))?"?\s*$/i.exec(preference))
    .find((match) => match !== null);
  if (!asked) return defaultMs;
  const ms = Number(asked[1]) * 1_000 + Number((asked[2] ?? '').padEnd(3, '0'));
  return Math.min(ms, maxMs);
}

function invalidHeader(reason: string): HttpProblem {
  return HttpProblem.generic('invalid-request', `The ${CONSISTENCY_HEADER} header ${reason}`, {
    extensions: { errors: [{ field: CONSISTENCY_HEADER, message: reason }] },
  });
}

/** Where a read model stands with a change it has not applied in time. */
export interface Unmet {
  readonly aggregate: string;
  readonly version: number;
  /** The version the read model has applied; 0 when it has seen none. */
  readonly appliedVersion: number;
}

/**
 * Waits until the read model has applied every point, checking often at first and less often
 * later (changes usually land within milliseconds). Points of aggregate types the read model
 * does not consume are met at once: no change to them can ever show there.
 *
 * @returns the points still unmet when the budget ran out; empty when all are met
 */
export async function awaitApplied(
  readModel: AppliedVersions,
  points: readonly ConsistencyPoint[],
  budgetMs: number,
  check: <T>(work: () => Promise<T>) => Promise<T>,
): Promise<Unmet[]> {
  const deadline = Date.now() + budgetMs;
  let pending = [...points];
  let unmet: Unmet[] = [];
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    const versions = await Promise.all(
      pending.map((point) => check(() => readModel.appliedVersion(point.aggregateType, point.aggregateId))),
    );
    unmet = [];
    pending = pending.filter((point, i) => {
      const applied = versions[i];
      if (applied === 'not-read' || applied === undefined || applied >= point.version) return false;
      unmet.push({
        aggregate: `${point.aggregateType}:${point.aggregateId}`,
        version: point.version,
        appliedVersion: applied,
      });
      return true;
    });
    const left = deadline - Date.now();
    if (pending.length === 0 || left <= 0) return unmet;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
  }
}
