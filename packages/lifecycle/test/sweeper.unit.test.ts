import { startSweeper, sweepRound } from '../src/sweeper.js';

/** A table of `due` rows deleted `batchSize` at a time; counts the batches. */
function table(due: number) {
  const state = { due, batches: 0 };
  return {
    state,
    sweep: (batchSize: number) => {
      state.batches++;
      const deleted = Math.min(batchSize, state.due);
      state.due -= deleted;
      return Promise.resolve(deleted);
    },
  };
}

describe('retention sweeper', () => {
  it('deletes batch after batch until one comes back short', async () => {
    const rows = table(2_500);

    const round = await sweepRound({ sweep: rows.sweep, everyMs: 1_000, budgetMs: 60_000, batchSize: 1_000 });

    expect(round).toEqual({ deleted: 2_500, unfinished: false });
    expect(rows.state).toEqual({ due: 0, batches: 3 });
  });

  it('stops a round at its time budget and says more is due', async () => {
    const rows = table(10_000);
    let clock = 0;
    // Each batch takes 40 ms of the 100 ms budget.
    const sweep = async (batchSize: number) => {
      clock += 40;
      return rows.sweep(batchSize);
    };

    const round = await sweepRound({
      sweep,
      everyMs: 1_000,
      budgetMs: 100,
      batchSize: 1_000,
      now: () => clock,
    });

    expect(round).toEqual({ deleted: 3_000, unfinished: true });
    expect(rows.state.due).toBe(7_000);
  });

  it('runs rounds on its interval, one at a time, reports each, and stops after the one in progress', async () => {
    const rows = table(5);
    const rounds: { deleted: number; unfinished: boolean }[] = [];
    let inFlight = 0;
    let overlapped = false;
    const sweeper = startSweeper({
      sweep: async (batchSize) => {
        inFlight++;
        overlapped ||= inFlight > 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return rows.sweep(batchSize);
      },
      everyMs: 10,
      budgetMs: 1_000,
      batchSize: 2,
      onRound: (round) => rounds.push(round),
    });
    const now = sweeper.sweepNow();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await sweeper.stop();
    const after = rounds.length;
    await new Promise((resolve) => setTimeout(resolve, 40));

    expect(await now).toBe(5);
    expect(rounds[0]).toEqual({ deleted: 5, unfinished: false });
    expect(rounds.length).toBeGreaterThan(1);
    expect(rounds.slice(1).every((round) => round.deleted === 0)).toBe(true);
    expect(overlapped).toBe(false);
    expect(rounds.length).toBe(after);
  });

  it('reports a failed round and goes on with the next', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const sweeper = startSweeper({
      sweep: () => (++calls === 1 ? Promise.reject(new Error('database away')) : Promise.resolve(0)),
      everyMs: 60_000,
      budgetMs: 1_000,
      batchSize: 10,
      onError: (error) => errors.push(error),
    });

    expect(await sweeper.sweepNow()).toBe(0);
    expect(await sweeper.sweepNow()).toBe(0);
    await sweeper.stop();

    expect(errors.map((error) => (error as Error).message)).toEqual(['database away']);
    expect(calls).toBe(2);
  });
});
