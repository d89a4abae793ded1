/**
 * Holds a projector's other topics back until the topics it reads first — those the others are
 * joined with, such as the customers an order shows — are in the store up to where they ended
 * when the projector started. Taking in history otherwise writes most orders before their
 * customers and joins each of them later: a second write per order, the dearest kind on a slow
 * store. Once open, it stays open: from then on a new customer comes before its orders anyway,
 * and one that comes late is joined as before.
 */
export class ReadFirstGate {
  /** The first topics' partitions not in the store yet, with the next offset they must reach. */
  private readonly behind = new Map<string, number>();
  private readonly held: (() => void)[] = [];

  constructor(readonly topics: readonly string[]) {}

  /** A first topic's partition ends at `end` (exclusive), and the store holds it up to `next`. */
  expect(topic: string, partition: number, next: number, end: number): void {
    if (!this.topics.includes(topic) || next >= end) return;
    this.behind.set(`${topic}/${partition}`, end);
  }

  get open(): boolean {
    return this.behind.size === 0;
  }

  /** Whether a batch of `topic` must wait. */
  holds(topic: string): boolean {
    return !this.open && !this.topics.includes(topic);
  }

  /** Keeps a held partition's way to resume, called when the gate opens (at once if it is). */
  hold(resume: () => void): void {
    if (this.open) resume();
    else this.held.push(resume);
  }

  /**
   * The store holds a first topic's partition up to `next` (exclusive). True when that opened
   * the gate.
   */
  reached(topic: string, partition: number, next: number): boolean {
    const key = `${topic}/${partition}`;
    const end = this.behind.get(key);
    if (end === undefined || next < end) return false;
    this.behind.delete(key);
    if (!this.open) return false;
    for (const resume of this.held.splice(0)) resume();
    return true;
  }

  /** The partitions still awaited, `topic/partition`, for logs. */
  awaited(): string[] {
    return [...this.behind.keys()];
  }
}
