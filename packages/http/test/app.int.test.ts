import { createHttpApp, HttpProblem, listen, type RunningServer } from '@cqrs-shop/http';
import { createLogger } from '@cqrs-shop/logging';
import { Writable } from 'node:stream';

const logLines: string[] = [];
const logger = createLogger({
  service: 'http-test',
  level: 'info',
  destination: new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      logLines.push(chunk.toString());
      done();
    },
  }),
});

describe('createHttpApp (real HTTP on loopback)', () => {
  let server: RunningServer;
  let storeUp = true;
  let base: string;

  beforeAll(async () => {
    const app = createHttpApp({
      logger,
      bodyLimitBytes: 1_024,
      readiness: [
        {
          name: 'store',
          check: () => (storeUp ? Promise.resolve() : Promise.reject(new Error('connection refused'))),
        },
        { name: 'other', check: () => Promise.resolve() },
      ],
      routes: (routes) => {
        routes.post('/echo', (req, res) => {
          res.status(201).json({ received: req.body as unknown });
        });
        routes.post('/conflict', () => {
          throw new HttpProblem({
            code: 'insufficient-stock',
            status: 409,
            title: 'Not enough stock',
            detail: 'only 2 left',
            extensions: { available: 2 },
          });
        });
        routes.get('/things/:id', (req, res) => {
          res.json({ id: req.params.id });
        });
        routes.get('/boom', () => {
          throw new Error('secret internal detail');
        });
      },
    });
    server = await listen(app, { port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${server.port}`;
  });

  afterAll(() => server.close());

  const post = (path: string, body: string, contentType = 'application/json') =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });

  async function expectProblem(
    response: Response,
    status: number,
    code: string,
  ): Promise<Record<string, unknown>> {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ type: `urn:cqrs-shop:problem:${code}`, status });
    expect(typeof body.title).toBe('string');
    return body;
  }

  it('answers /healthz while alive', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when every dependency answers and 503 naming the one that does not', async () => {
    storeUp = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    storeUp = false;
    const body = await expectProblem(await fetch(`${base}/readyz`), 503, 'not-ready');
    expect(body.detail).toBe('Not answering: store');
    expect(body.checks).toEqual({ store: 'connection refused', other: 'ok' });
  });

  it('parses JSON bodies', async () => {
    const response = await post('/echo', JSON.stringify({ a: 1 }));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ received: { a: 1 } });
  });

  it('rejects malformed JSON with 400', async () => {
    await expectProblem(await post('/echo', '{"a":'), 400, 'malformed-json');
  });

  it('rejects a body over the limit with 413', async () => {
    await expectProblem(
      await post('/echo', JSON.stringify({ a: 'x'.repeat(2_000) })),
      413,
      'payload-too-large',
    );
  });

  it('answers another method on a served path with 405 and Allow, and an unknown path with 404', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const answer = await fetch(`${base}/echo`, { method });
      await expectProblem(answer, 405, 'method-not-allowed');
      expect(answer.headers.get('allow')).toBe('POST');
    }
    await expectProblem(await fetch(`${base}/nowhere`), 404, 'not-found');
  });

  it('rejects a body that is not JSON with 415', async () => {
    await expectProblem(
      await post('/echo', 'a=1', 'application/x-www-form-urlencoded'),
      415,
      'unsupported-media-type',
    );
  });

  it('answers unknown routes with a 404 problem', async () => {
    const body = await expectProblem(await fetch(`${base}/nowhere`), 404, 'not-found');
    expect(body.instance).toBe('/nowhere');
  });

  it('sends a service problem with its status and extensions', async () => {
    const body = await expectProblem(await post('/conflict', '{}'), 409, 'insufficient-stock');
    expect(body).toMatchObject({ detail: 'only 2 left', available: 2 });
  });

  it('answers an unexpected error with a generic 500 and logs it, never sending the stack or message', async () => {
    const response = await fetch(`${base}/boom`);
    const text = await response.clone().text();
    await expectProblem(response, 500, 'internal');
    expect(text).not.toContain('secret internal detail');
    expect(text).not.toContain('at ');
    expect(logLines.some((line) => line.includes('secret internal detail'))).toBe(true);
  });

  it('logs commands and failed requests at info, answered reads only at debug', async () => {
    const before = logLines.length;
    const logged = (path: string) =>
      logLines
        .slice(before)
        .map((line) => JSON.parse(line) as { msg?: string; path?: string; method?: string; status?: number })
        .filter((entry) => entry.msg === 'request' && entry.path === path);
    expect((await fetch(`${base}/things/t-1`)).status).toBe(200);
    expect((await post('/echo', '{"a":1}')).status).toBe(201);
    expect((await fetch(`${base}/nothing-here`)).status).toBe(404);
    expect(logged('/things/t-1')).toEqual([]);
    expect(logged('/echo')).toMatchObject([{ method: 'POST', status: 201 }]);
    expect(logged('/nothing-here')).toMatchObject([{ method: 'GET', status: 404 }]);
  });
});
