// Takes the README's screenshots in Debian's Chromium, from a suite that is already running
// (`npm start`, or `bash scripts/services start` on a running stack). Run from anywhere:
//   node scripts/screenshots.ts [--trace <url>]
// writes docs/images/ops-page.png (the gateway's `/ops`, once it shows throughput) and, with
// --trace, docs/images/trace.png (that page once its network is idle: a trace in the trace UI).
// Settings: OPS_TOKEN (required: a token with the ops role, `pnpm -s cqrs tokens issue --role ops
// | tail -1`), GATEWAY_ADMIN_URL (the gateway's admin port, default http://127.0.0.1:9000),
// CHROMIUM_PATH (default /usr/bin/chromium).
// Exits 0 when every screenshot was written, 1 when one could not be taken, 64 on bad arguments.
// Node runs this file as it is (type stripping); scripts/package.json makes the folder ES modules.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';

const USAGE = 'usage: node scripts/screenshots.ts [--trace <url>]';
const EX_USAGE = 64;
const IMAGES_DIR = path.resolve(import.meta.dirname, '..', 'docs', 'images');
/** The same size every time, so that a new screenshot differs from the old one only in content. */
const VIEWPORT = { width: 1280, height: 800 };
const WAIT_MS = 30_000;

/** Shown with its message and no stack: the user can act on it (start the suite, fix a URL). */
class ScreenshotError extends Error {}

process.exitCode = await main(process.argv.slice(2));

async function main(args: string[]): Promise<number> {
  let trace: string | undefined;
  try {
    const { values } = parseArgs({
      args,
      options: { trace: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      console.log(`${USAGE}\n\nWrites docs/images/ops-page.png, and docs/images/trace.png with --trace.`);
      return 0;
    }
    trace = values.trace;
    if (trace !== undefined && !/^https?:\/\/\S+$/.test(trace))
      throw new Error(`--trace ${trace} is not a URL`);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return EX_USAGE;
  }
  const admin = (process.env.GATEWAY_ADMIN_URL ?? 'http://127.0.0.1:9000').replace(/\/+$/, '');
  const token = process.env.OPS_TOKEN ?? '';
  if (!/^[\w.~+/-]+=*$/.test(token)) {
    console.error(
      'OPS_TOKEN must be a token with the ops role: OPS_TOKEN=$(pnpm -s cqrs tokens issue --role ops | tail -1)',
    );
    return EX_USAGE;
  }

  mkdirSync(IMAGES_DIR, { recursive: true });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
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
    const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'light' });
    // The ops page polls every second, so its network is never idle for long: it is ready when
    // its figures are. A trace UI is ready once it has fetched what it shows.
    // The page takes its token from the fragment (never sent to the server) and drops it from the address.
    await capture(
      await context.newPage(),
      `${admin}/ops#token=${token}`,
      'ops-page.png',
      'load',
      waitForFigures,
    );
    if (trace !== undefined) await capture(await context.newPage(), trace, 'trace.png', 'networkidle');
    return 0;
  } catch (error) {
    console.error(error instanceof ScreenshotError ? error.message : error);
    return 1;
  } finally {
    await browser?.close();
  }
}

async function capture(
  page: Page,
  url: string,
  file: string,
  waitUntil: 'load' | 'networkidle',
  ready?: (page: Page) => Promise<void>,
): Promise<void> {
  const answer = await page.goto(url, { waitUntil, timeout: WAIT_MS }).catch((error: unknown) => {
    throw new ScreenshotError(
      `${url} did not load: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  if (!answer?.ok()) throw new ScreenshotError(`${url} answered ${answer?.status() ?? 'nothing'}`);
  await ready?.(page);
  const target = path.join(IMAGES_DIR, file);
  await page.screenshot({ path: target, fullPage: true, animations: 'disabled' });
  console.log(`Wrote ${path.relative(process.cwd(), target) || target} (${url})`);
}

/** The ops page is worth showing once every reachable projection has a throughput figure. */
async function waitForFigures(page: Page): Promise<void> {
  await page
    .waitForFunction(
      () => {
        const { document } = globalThis as unknown as {
          document: { querySelectorAll(selector: string): ArrayLike<ShownCard> };
        };
        const cards = Array.from(document.querySelectorAll('[data-projection]'));
        return (
          cards.length > 0 &&
          cards.every((card) => {
            const state = card.getAttribute('data-state');
            const throughput = card.querySelector('[data-field="throughput"]')?.textContent;
            return state === 'unreachable' || (state !== 'unknown' && throughput !== '—');
          })
        );
      },
      undefined,
      { polling: 200, timeout: WAIT_MS },
    )
    .catch(() => {
      throw new ScreenshotError('the ops page did not show its figures in time: is the suite running?');
    });
}

interface ShownCard {
  getAttribute(name: string): string | null;
  querySelector(selector: string): { textContent: string | null } | null;
}
