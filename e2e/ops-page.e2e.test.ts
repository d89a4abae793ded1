import { randomUUID } from 'node:crypto';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { succeed, suiteForTests } from './support';

/** Debian's Chromium, installed by `infra/local/tools/provision` (`npm test` runs it). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TRACE_TEMPLATE = 'http://127.0.0.1:9411/zipkin/?annotationQuery=command.id%3D{commandId}';
const PROJECTIONS = ['order-history', 'search', 'analytics'] as const;
/** How long the page may take to show what the gateway knows: it refreshes every second. */
const PAGE_WAIT_MS = 30_000;

/** The little of the DOM that checks running in the page use (the tests compile without DOM types). */
interface PageDocument {
  querySelector(selector: string): { textContent: string | null } | null;
}

const card = (page: Page, projection: string) => page.locator(`[data-projection="${projection}"]`);
const field = (page: Page, projection: string, name: string) =>
  card(page, projection).locator(`[data-field="${name}"]`);

/** A figure as the page shows it ("1,234", "12.5 events/s"); NaN for "—". */
async function figure(page: Page, projection: string, name: string): Promise<number> {
  const text = (await field(page, projection, name).textContent()) ?? '';
  return Number.parseFloat(text.replaceAll(',', ''));
}

/** Waits until each projection's figure `name` shows more than its floor. */
async function waitForFiguresAbove(page: Page, name: string, floors: Record<string, number>): Promise<void> {
  await page.waitForFunction(
    ({ name, floors }) => {
      const { document } = globalThis as unknown as { document: PageDocument };
      return Object.entries(floors).every(([projection, floor]) => {
        const shown = document.querySelector(`[data-projection="${projection}"] [data-field="${name}"]`);
        return Number.parseFloat((shown?.textContent ?? '').replaceAll(',', '')) > floor;
      });
    },
    { name, floors },
    { polling: 100, timeout: PAGE_WAIT_MS },
  );
}

describe('the operations page in a real browser', () => {
  const running = suiteForTests({ env: { 'query-gateway': { TRACE_SEARCH_URL_TEMPLATE: TRACE_TEMPLATE } } });
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  /** What went wrong in the page: uncaught errors and refused loads (the CSP's, say). */
  const pageProblems: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  }, 30_000);

  /**
   * A page in a fresh context (no cookies, no cache), opened at `/ops` on the gateway's admin
   * listener with an ops token in the address's fragment, or with `token` (null: none).
   */
  async function openOps(prepare?: (page: Page) => Promise<unknown>, token?: string | null): Promise<Page> {
    if (!browser) throw new Error('the browser did not start');
    await context?.close();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageProblems.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageProblems.push(`console: ${message.text()}`);
    });
    await prepare?.(page);
    const given = token === undefined ? await running().identity.token({ roles: ['ops'] }) : token;
    const fragment = given === null ? '' : `#token=${encodeURIComponent(given)}`;
    const answer = await page.goto(`${running().adminUrl('query-gateway')}/ops${fragment}`);
    if (answer?.status() !== 200) throw new Error(`GET /ops answered ${answer?.status()}`);
    return page;
  }

  afterEach(() => {
    pageProblems.length = 0;
  });

  it('is served as HTML with a Content-Security-Policy that allows this origin only', async () => {
    const page = await openOps();
    const answer = await page.request.get(`${running().adminUrl('query-gateway')}/ops`);
    expect(answer.status()).toBe(200);
    expect(answer.headers()['content-type']).toBe('text/html; charset=utf-8');
    const policy = answer.headers()['content-security-policy'] ?? '';
    expect(policy).toContain("default-src 'self'");
    expect(policy).not.toMatch(/unsafe|\*|https?:/);
    for (const [path, type] of [
      ['/ops/ops.js', 'text/javascript; charset=utf-8'],
      ['/ops/ops.css', 'text/css; charset=utf-8'],
      ['/ops/settings', 'application/json; charset=utf-8'],
    ] as const) {
      const asset = await page.request.get(`${running().adminUrl('query-gateway')}${path}`, {
        headers: await running().identity.bearer(['ops']),
      });
      expect([path, asset.status(), asset.headers()['content-type']]).toEqual([path, 200, type]);
      expect(asset.headers()['content-security-policy']).toBe(policy);
    }
    await expect(page.title()).resolves.toBe('cqrs-shop · operations');
  });

  it('shows every projection with its figures, refreshed live', async () => {
    const page = await openOps();
    for (const projection of PROJECTIONS) {
      await card(page, projection)
        .and(page.locator('[data-state="healthy"]'))
        .waitFor({ timeout: PAGE_WAIT_MS });
      await expect(field(page, projection, 'health').textContent()).resolves.toBe('healthy');
      await expect(field(page, projection, 'version').textContent()).resolves.toBe('v1');
      await expect(field(page, projection, 'applied').textContent()).resolves.toMatch(/^\d[\d,]*$/);
      await expect(field(page, projection, 'lagEvents').textContent()).resolves.toMatch(/^\d[\d,]* events$/);
      await expect(field(page, projection, 'lagSeconds').textContent()).resolves.toMatch(/^\d+\.\d s$/);
      await expect(field(page, projection, 'deadLettered').textContent()).resolves.toBe('0');
      await expect(field(page, projection, 'parkedAggregates').textContent()).resolves.toBe('0');
      await expect(field(page, projection, 'versions').textContent()).resolves.toBe('v1 live');
    }
    // Throughput needs two samples: a number once the page has refreshed once more.
    await waitForFiguresAbove(page, 'throughput', { 'order-history': -1, search: -1, analytics: -1 });
    await expect(page.locator('#refresh').textContent()).resolves.toMatch(/^Refreshed \d\d:\d\d:\d\d$/);
    await expect(page.locator('#gateway-error').isHidden()).resolves.toBe(true);
    // The token handed over in the fragment is out of the address bar.
    expect(new URL(page.url()).hash).toBe('');
    expect(pageProblems).toEqual([]);
  });

  it('shows the applied events and the throughput go up as commands come in', async () => {
    const page = await openOps();
    await waitForFiguresAbove(page, 'applied', { 'order-history': -1, search: -1, analytics: -1 });
    const before = Object.fromEntries(
      await Promise.all(PROJECTIONS.map(async (p) => [p, await figure(page, p, 'applied')] as const)),
    );

    const suite = running();
    const suffix = randomUUID().slice(0, 8);
    const { customerId } = await succeed<{ customerId: string }>(suite, '/customers', {
      name: `Operator ${suffix}`,
      email: `operator.${suffix}@example.com`,
    });
    const { productId } = await succeed<{ productId: string }>(suite, '/products', {
      sku: `OPS-${suffix}`,
      name: 'Status lamp',
      priceCents: 1_900,
      currency: 'EUR',
      stock: 100,
    });
    for (let i = 0; i < 3; i++) {
      const { orderId } = await succeed<{ orderId: string }>(suite, '/orders', {
        customerId,
        items: [{ productId, quantity: 1 + i }],
      });
      await succeed(suite, `/orders/${orderId}/pay`);
    }

    // Each projection reads some of these events: every one applies at least one.
    await waitForFiguresAbove(page, 'applied', before);
    await waitForFiguresAbove(page, 'throughput', { 'order-history': 0, search: 0, analytics: 0 });
    for (const projection of PROJECTIONS)
      await expect(field(page, projection, 'throughput').textContent()).resolves.toMatch(
        /^[\d.,]+ events\/s$/,
      );
    expect(pageProblems).toEqual([]);
  });

  it('links a command id to its trace, encoded into the template, and refuses a bad one', async () => {
    const page = await openOps();
    const answer = await running().command('/customers', {
      name: 'Traced',
      email: `traced.${randomUUID()}@example.com`,
    });
    const commandId = answer.headers.get('x-command-id') ?? '';
    expect(commandId).toMatch(/^[0-9a-f-]{36}$/);
    const input = page.locator('#command-id');
    const link = page.locator('#trace-link');

    await input.fill(commandId);
    await input.press('Enter');
    await link.waitFor();
    await expect(link.getAttribute('href')).resolves.toBe(TRACE_TEMPLATE.replace('{commandId}', commandId));
    await expect(link.getAttribute('rel')).resolves.toBe('noopener noreferrer');

    // Visible ASCII that means something in a URL goes in encoded.
    await input.fill(` cmd/1?x=y&z#w `);
    await expect(link.getAttribute('href')).resolves.toBe(
      TRACE_TEMPLATE.replace('{commandId}', 'cmd%2F1%3Fx%3Dy%26z%23w'),
    );

    for (const bad of ['not a command id', 'tab\there', 'café', '']) {
      await input.fill(bad);
      await input.press('Enter');
      await page.locator('#follow-error').waitFor();
      await expect(page.locator('#follow-error').textContent()).resolves.toMatch(/command id/);
      await expect(link.isHidden()).resolves.toBe(true);
      await expect(link.getAttribute('href')).resolves.toBeNull();
    }
    expect(pageProblems).toEqual([]);
  });

  it('says when tracing links are not configured', async () => {
    const page = await openOps((p) =>
      p.route('**/ops/settings', (route) => route.fulfill({ json: { traceSearchUrlTemplate: null } })),
    );
    await page.locator('#follow-off').waitFor();
    await expect(page.locator('#follow-off').textContent()).resolves.toContain('not configured');
    await expect(page.locator('#command-id').isDisabled()).resolves.toBe(true);
  });

  it('shows rebuild progress, and what the gateway says only as text', async () => {
    const now = new Date().toISOString();
    const injected = '<img src=x data-injected>';
    const status = (name: string) => ({
      name,
      healthy: name !== 'search',
      reachable: name !== 'analytics',
      ...(name === 'analytics' ? { error: injected } : {}),
      lagEvents: name === 'analytics' ? null : 1_234,
      lagSeconds: name === 'analytics' ? null : 2.5,
      lastEventAt: now,
      applied: name === 'analytics' ? null : 56_789,
      deadLettered: 1,
      parkedAggregates: 2,
      partitions: [],
      version: 1,
      liveVersion: 1,
      versions: [
        {
          version: 1,
          state: 'live',
          groupId: 'g1',
          createdAt: now,
          until: null,
          switchedAt: now,
          progress: null,
          note: null,
        },
        {
          version: 2,
          state: 'rebuilding',
          groupId: 'g2',
          createdAt: now,
          until: null,
          switchedAt: null,
          progress: {
            applied: 420,
            total: 1_000,
            eventsPerSecond: 210,
            etaSeconds: 2.8,
            partitions: [],
            updatedAt: now,
          },
          note: null,
        },
      ],
      checkedAt: now,
    });
    const page = await openOps((p) =>
      p.route('**/projections', (route) =>
        route.fulfill({ json: { projections: ['order-history', 'search', 'analytics'].map(status) } }),
      ),
    );

    const rebuild = card(page, 'order-history').locator('.rebuild[data-version="2"]');
    await rebuild.waitFor({ timeout: PAGE_WAIT_MS });
    await expect(rebuild.locator('[data-field="percent"]').textContent()).resolves.toBe('42 %');
    await expect(
      rebuild.locator('progress').evaluate((bar) => (bar as unknown as { value: number }).value),
    ).resolves.toBe(42);
    await expect(rebuild.locator('[data-field="detail"]').textContent()).resolves.toBe(
      '420 of 1,000 events · 210 events/s · about 3 s left',
    );
    await expect(field(page, 'order-history', 'applied').textContent()).resolves.toBe('56,789');
    await expect(field(page, 'order-history', 'versions').textContent()).resolves.toBe(
      'v1 live, v2 rebuilding',
    );
    await expect(field(page, 'search', 'health').textContent()).resolves.toBe('unhealthy');
    await expect(field(page, 'analytics', 'error').textContent()).resolves.toContain(injected);
    await expect(page.locator('[data-injected]').count()).resolves.toBe(0);
    expect(pageProblems).toEqual([]);
  });

  it('says when the gateway does not answer, and recovers when it does again', async () => {
    const page = await openOps();
    await card(page, 'search').and(page.locator('[data-state="healthy"]')).waitFor({ timeout: PAGE_WAIT_MS });
    await page.route('**/projections', (route) => route.abort('connectionrefused'));
    const banner = page.locator('#gateway-error');
    await banner.waitFor({ timeout: PAGE_WAIT_MS });
    await expect(banner.textContent()).resolves.toMatch(
      /^The query gateway is not answering since \d\d:\d\d:\d\d .*the figures below are from \d\d:\d\d:\d\d\.$/,
    );
    await expect(page.locator('#refresh').textContent()).resolves.toMatch(/^Last refreshed \d\d:\d\d:\d\d$/);
    await expect(page.locator('#projections').getAttribute('data-stale')).resolves.toBe('true');

    await page.unroute('**/projections');
    await banner.waitFor({ state: 'hidden', timeout: PAGE_WAIT_MS });
    await expect(page.locator('#projections').getAttribute('data-stale')).resolves.toBe('false');
  });

  it('asks for an ops token, refuses another role with the reason, and shows the projections once given one', async () => {
    const page = await openOps(undefined, null);
    const signIn = page.locator('#sign-in');
    await signIn.waitFor({ timeout: PAGE_WAIT_MS });
    await expect(page.locator('#sign-in-error').textContent()).resolves.toBe(
      'Sign in with a token that has the ops role.',
    );
    await expect(page.locator('#refresh').textContent()).resolves.toBe('Signed out');
    await expect(page.locator('[data-projection]').count()).resolves.toBe(0);

    await page.fill('#token', await running().identity.token({ roles: ['staff'] }));
    await page.click('#sign-in-form button');
    await page.locator('#sign-in-error').filter({ hasText: 'Only ops may see the projections' }).waitFor({
      timeout: PAGE_WAIT_MS,
    });
    await expect(signIn.isVisible()).resolves.toBe(true);

    await page.fill('#token', `Bearer ${await running().identity.token({ roles: ['ops'] })}`);
    await page.click('#sign-in-form button');
    await card(page, 'order-history')
      .and(page.locator('[data-state="healthy"]'))
      .waitFor({ timeout: PAGE_WAIT_MS });
    await expect(signIn.isHidden()).resolves.toBe(true);
    // A 401 from the gateway is logged by the browser as a failed load; nothing else went wrong.
    expect(pageProblems.filter((p) => !p.includes('403'))).toEqual([]);
  });

  // Last: the projector stays stopped (the suite is closed after this file).
  it('shows a projector that does not answer as unreachable, and the others as they are', async () => {
    const page = await openOps();
    await card(page, 'analytics')
      .and(page.locator('[data-state="healthy"]'))
      .waitFor({ timeout: PAGE_WAIT_MS });
    await running().stop('projector-analytics');

    await card(page, 'analytics')
      .and(page.locator('[data-state="unreachable"]'))
      .waitFor({ timeout: PAGE_WAIT_MS });
    await expect(field(page, 'analytics', 'health').textContent()).resolves.toBe('unreachable');
    await expect(field(page, 'analytics', 'applied').textContent()).resolves.toBe('—');
    await expect(field(page, 'analytics', 'throughput').textContent()).resolves.toBe('—');
    await expect(field(page, 'analytics', 'error').isVisible()).resolves.toBe(true);
    await expect(field(page, 'analytics', 'error').textContent()).resolves.toMatch(
      /^Its projector is not answering: /,
    );
    for (const projection of ['order-history', 'search'])
      await expect(card(page, projection).getAttribute('data-state')).resolves.toBe('healthy');
  });
});
