import { randomBytes } from 'node:crypto';
import { ConsistencyTokens } from '@cqrs-shop/events';
import { HttpProblem } from '@cqrs-shop/http';
import type { AppliedVersions } from '@cqrs-shop/read-models';
import { awaitApplied, MAX_TOKENS, parseConsistencyTokens, waitBudgetMs } from '../src/consistency';

const ORDER = '7d3c1f00-0000-4000-8000-000000000001';
const CUSTOMER = '0c6f4a1e-0000-4000-8000-00000000a11c';
const signed = new ConsistencyTokens({ current: randomBytes(32) });
const token = (aggregateType: 'order' | 'customer' | 'product', aggregateId: string, version: number) =>
  signed.encode({ aggregateType, aggregateId, version });

describe('consistency tokens in a request', () => {
  it('are read from one header, several separated by commas', () => {
    expect(
      parseConsistencyTokens(`${token('order', ORDER, 3)}, ${token('customer', CUSTOMER, 1)}`, signed),
    ).toEqual([
      { aggregateType: 'order', aggregateId: ORDER, version: 3 },
      { aggregateType: 'customer', aggregateId: CUSTOMER, version: 1 },
    ]);
    expect(parseConsistencyTokens(undefined, signed)).toEqual([]);
    expect(parseConsistencyTokens('  ', signed)).toEqual([]);
  });

  it('refuse a malformed token with a 400 naming the header, never ignoring it', () => {
    const refusal = (() => {
      try {
        parseConsistencyTokens(`${token('order', ORDER, 3)},bogus`, signed);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(HttpProblem);
    expect((refusal as HttpProblem).status).toBe(400);
    expect((refusal as HttpProblem).message).toContain('token 2');
  });

  it('are limited in number', () => {
    const many = Array.from({ length: MAX_TOKENS + 1 }, () => token('order', ORDER, 1)).join(',');
    expect(() => parseConsistencyTokens(many, signed)).toThrow(/more than 16 tokens/);
  });
});

describe('the wait budget', () => {
  it('is the default unless the client asks with Prefer: wait, and never above the maximum', () => {
    expect(waitBudgetMs(undefined, 2_000, 10_000)).toBe(2_000);
    expect(waitBudgetMs('wait=5', 2_000, 10_000)).toBe(5_000);
    expect(waitBudgetMs('respond-async, wait=0.25', 2_000, 10_000)).toBe(250);
    expect(waitBudgetMs('wait=600', 2_000, 10_000)).toBe(10_000);
    expect(waitBudgetMs('wait=soon', 2_000, 10_000)).toBe(2_000);
  });
});

/** A read model whose applied versions the test moves by hand. */
function readModel(
  versions: Record<string, number>,
  reads: string[] = ['order', 'customer'],
): AppliedVersions {
  return {
    appliedVersion: (type, id) =>
      Promise.resolve(reads.includes(type) ? (versions[`${type}:${id}`] ?? 0) : 'not-read'),
  };
}
const direct = <T>(work: () => Promise<T>) => work();

describe('waiting for the changes of the tokens', () => {
  it('ends as soon as every change is applied', async () => {
    const versions = { [`order:${ORDER}`]: 1 };
    setTimeout(() => {
      versions[`order:${ORDER}`] = 3;
    }, 30);
    const started = Date.now();
    const unmet = await awaitApplied(
      readModel(versions),
      [{ aggregateType: 'order', aggregateId: ORDER, version: 3 }],
      2_000,
      direct,
    );
    expect(unmet).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('names what is still missing when the budget runs out', async () => {
    const unmet = await awaitApplied(
      readModel({ [`order:${ORDER}`]: 2, [`customer:${CUSTOMER}`]: 1 }),
      [
        { aggregateType: 'order', aggregateId: ORDER, version: 4 },
        { aggregateType: 'customer', aggregateId: CUSTOMER, version: 1 },
      ],
      50,
      direct,
    );
    expect(unmet).toEqual([{ aggregate: `order:${ORDER}`, version: 4, appliedVersion: 2 }]);
  });

  it('does not wait for an aggregate type the read model does not read', async () => {
    const unmet = await awaitApplied(
      readModel({}, ['order']),
      [{ aggregateType: 'product', aggregateId: ORDER, version: 7 }],
      5_000,
      direct,
    );
    expect(unmet).toEqual([]);
  });
});
