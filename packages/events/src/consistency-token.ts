import { createHmac, timingSafeEqual } from 'node:crypto';
import { type AggregateType, isAggregateType } from './catalog.js';

/** The change a consistency token stands for: one aggregate at one version. */
export interface ConsistencyPoint {
  readonly aggregateType: AggregateType;
  readonly aggregateId: string;
  readonly version: number;
}

/** The keys tokens are signed with: the current one signs and checks, the previous one checks. */
export interface ConsistencyTokenKeys {
  readonly current: Uint8Array;
  /** The key before a rotation, so that tokens issued just before it still pass. */
  readonly previous?: Uint8Array | undefined;
}

const FORMAT = 'v2';
/** Bytes of the HMAC-SHA256 kept: 128 bits, as many as a forger would have to guess. */
const MAC_BYTES = 16;
/** The shortest key accepted: as long as the hash. */
export const MIN_CONSISTENCY_KEY_BYTES = 32;
const TOKEN = /^([A-Za-z0-9_-]{1,300})\.([A-Za-z0-9_-]{22})$/;

/**
 * Consistency tokens: what a command answers so that a later read can wait until the read side
 * has applied that change (read-your-own-writes). Opaque to clients, readable by the query
 * gateway, and signed (HMAC) by the command service: a client cannot make the gateway wait on a
 * change nobody made. `<payload>.<mac>`, both base64url.
 */
export class ConsistencyTokens {
  constructor(private readonly keys: ConsistencyTokenKeys) {
    for (const key of [keys.current, keys.previous])
      if (key !== undefined && key.length < MIN_CONSISTENCY_KEY_BYTES)
        throw new RangeError(`a consistency token key must have at least ${MIN_CONSISTENCY_KEY_BYTES} bytes`);
  }

  encode(point: ConsistencyPoint): string {
    const payload = Buffer.from(
      `${FORMAT}:${point.aggregateType}:${point.aggregateId}:${point.version}`,
      'utf8',
    ).toString('base64url');
    return `${payload}.${mac(this.keys.current, payload).toString('base64url')}`;
  }

  /** Returns undefined for anything that is not a token signed with one of the keys. */
  decode(token: string): ConsistencyPoint | undefined {
    const [, payload = '', signature = ''] = TOKEN.exec(token) ?? [];
    if (payload === '') return undefined;
    const given = Buffer.from(signature, 'base64url');
    const signed = [this.keys.current, this.keys.previous].some(
      (key) => key !== undefined && given.length === MAC_BYTES && timingSafeEqual(given, mac(key, payload)),
    );
    return signed ? parse(payload) : undefined;
  }
}

function mac(key: Uint8Array, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);
}

function parse(payload: string): ConsistencyPoint | undefined {
  const [format, aggregateType, aggregateId, version, ...rest] = Buffer.from(payload, 'base64url')
    .toString('utf8')
    .split(':');
  if (format !== FORMAT || rest.length > 0 || !aggregateType || !isAggregateType(aggregateType))
    return undefined;
  if (
    !aggregateId ||
    !/^[\x21-\x7e]{1,255}$/.test(aggregateId) ||
    !version ||
    !/^[1-9]\d{0,9}$/.test(version)
  )
    return undefined;
  return { aggregateType, aggregateId, version: Number(version) };
}
