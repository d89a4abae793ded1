// A set of ids in 8 bytes an id: the order-history check must remember which orders it has seen
// in MongoDB without holding hundreds of thousands of strings.
import { createHash } from 'node:crypto';

/** A 64-bit fingerprint of an id (the first 8 bytes of its SHA-256). */
function fingerprint(id: string): bigint {
  return createHash('sha256').update(id).digest().readBigUInt64BE(0);
}

/**
 * Ids as 64-bit fingerprints, sorted on first lookup. Two ids may share a fingerprint (odds about
 * n²/2⁶⁵: one in 36 million for a million ids), which would make one id look present.
 */
export class FingerprintSet {
  private fingerprints = new BigUint64Array(1_024);
  private size = 0;
  private sorted = true;

  add(id: string): void {
    if (this.size === this.fingerprints.length) {
      const grown = new BigUint64Array(this.fingerprints.length * 2);
      grown.set(this.fingerprints);
      this.fingerprints = grown;
    }
    this.fingerprints[this.size++] = fingerprint(id);
    this.sorted = false;
  }

  has(id: string): boolean {
    if (!this.sorted) {
      this.fingerprints.subarray(0, this.size).sort();
      this.sorted = true;
    }
    const wanted = fingerprint(id);
    let [low, high] = [0, this.size - 1];
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = this.fingerprints[middle] ?? 0n;
      if (found === wanted) return true;
      if (found < wanted) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }
}
