import { ReadFirstGate } from '../src/read-first-gate.js';

describe('ReadFirstGate', () => {
  it('holds the other topics until every first-topic partition has reached its end', () => {
    const gate = new ReadFirstGate(['customers']);
    gate.expect('customers', 0, 0, 120);
    gate.expect('customers', 1, 40, 90);
    const resumed: string[] = [];

    expect(gate.holds('orders')).toBe(true);
    expect(gate.holds('customers')).toBe(false);
    gate.hold(() => resumed.push('orders/0'));
    gate.hold(() => resumed.push('orders/3'));

    expect(gate.reached('customers', 0, 119)).toBe(false);
    expect(gate.reached('customers', 0, 120)).toBe(false);
    expect(resumed).toEqual([]);
    expect(gate.awaited()).toEqual(['customers/1']);

    expect(gate.reached('customers', 1, 95)).toBe(true);
    expect(resumed).toEqual(['orders/0', 'orders/3']);
    expect(gate.holds('orders')).toBe(false);
    gate.hold(() => resumed.push('orders/5'));
    expect(resumed).toEqual(['orders/0', 'orders/3', 'orders/5']);
  });

  it('is open from the start when the store already holds the first topics, or there are none', () => {
    const gate = new ReadFirstGate(['customers']);
    gate.expect('customers', 0, 120, 120);
    gate.expect('orders', 0, 0, 500);
    expect(gate.open).toBe(true);
    expect(gate.holds('orders')).toBe(false);
    expect(new ReadFirstGate([]).holds('orders')).toBe(false);
  });

  it('ignores progress on partitions it does not await, and stays open once opened', () => {
    const gate = new ReadFirstGate(['customers']);
    gate.expect('customers', 2, 0, 10);
    gate.reached('customers', 3, 50);
    gate.reached('orders', 2, 50);
    expect(gate.open).toBe(false);
    gate.reached('customers', 2, 10);
    expect(gate.open).toBe(true);
    gate.reached('customers', 2, 4);
    expect(gate.open).toBe(true);
  });
});
