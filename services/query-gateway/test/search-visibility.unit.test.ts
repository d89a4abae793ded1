import { SearchVisibility } from '../src/search-visibility';

/** A refresh the test finishes by hand, on a clock the test moves. */
function setup() {
  let clock = 0;
  const refreshes: { startedAt: number; finish: () => void }[] = [];
  const visibility = new SearchVisibility(
    () =>
      new Promise<void>((resolve) => {
        refreshes.push({ startedAt: clock, finish: resolve });
      }),
    () => clock,
  );
  return {
    visibility,
    refreshes,
    at: (time: number) => {
      clock = time;
    },
  };
}

describe('search visibility for reads with consistency tokens', () => {
  it('shares one refresh among reads confirmed before it started', async () => {
    const { visibility, refreshes, at } = setup();
    at(10);
    const first = visibility.visibleAfter(10);
    const second = visibility.visibleAfter(10);
    expect(refreshes).toHaveLength(1);
    refreshes[0]?.finish();
    await Promise.all([first, second]);
    // Confirmed before that refresh started: already visible, no refresh needed.
    await visibility.visibleAfter(9);
    expect(refreshes).toHaveLength(1);
  });

  it('starts another refresh for a write confirmed after the one in flight began', async () => {
    const { visibility, refreshes, at } = setup();
    at(10);
    const early = visibility.visibleAfter(10);
    at(20);
    let lateDone = false;
    const late = visibility.visibleAfter(20).then(() => {
      lateDone = true;
    });
    refreshes[0]?.finish();
    await early;
    await new Promise((resolve) => setImmediate(resolve));
    expect(lateDone).toBe(false);
    expect(refreshes).toHaveLength(2);
    expect(refreshes[1]?.startedAt).toBe(20);
    refreshes[1]?.finish();
    await late;
    expect(lateDone).toBe(true);
  });
});
