/**
 * What a store wrote last, by key, so that the next batch need not read it back: an aggregate is
 * written by the one consumer of its partition. Were it changed elsewhere meanwhile, the store's
 * guard (version, `if_seq_no`) refuses the next write, the store forgets the entry and reads the
 * aggregate again. Bounded: past `limit` entries, the least recently written go.
 */
export class RecentWrites<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly limit = 20_000) {}

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: T): void {
    // Deleted first so that the key moves to the newest end of the map's order.
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size <= this.limit) return;
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
