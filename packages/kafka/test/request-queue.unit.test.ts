// kafkajs is patched (patches/kafkajs@2.2.4.patch) so that a broker connection with nothing to send
// arms no timer; these tests hold the patched queue to that, and to still sending what waits.
import { createRequire } from 'node:module';

interface SocketRequestLike {
  readonly correlationId: number;
}
interface RequestQueue {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  readonly pending: SocketRequestLike[];
  checkPendingRequests(): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  push(request: { entry: ReturnType<typeof entry>; expectResponse: boolean; sendRequest: () => void }): void;
  destroy(): void;
}

const fromKafkajs = createRequire(require.resolve('kafkajs'));
const RequestQueueClass = fromKafkajs('./src/network/requestQueue') as new (options: object) => RequestQueue;

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const newQueue = (): RequestQueue =>
  new RequestQueueClass({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: '127.0.0.1:9092',
    logger: silent,
  });
const entry = (correlationId: number) => ({
  correlationId,
  apiKey: 1,
  apiName: 'Fetch',
  apiVersion: 11,
  resolve: () => {},
  reject: () => {},
});

describe('kafkajs request queue (patched)', () => {
  it('arms no timer when a response arrives and nothing waits', () => {
    const queue = newQueue();
    let sent = 0;
    queue.push({ entry: entry(1), expectResponse: true, sendRequest: () => sent++ });
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    queue.checkPendingRequests();

    expect(sent).toBe(1);
    expect(queue.throttleCheckTimeoutId).toBeNull();
    queue.destroy();
  });

  it('still sends a request held back by throttling once the throttle ends', async () => {
    const queue = newQueue();
    queue.throttledUntil = Date.now() + 30;
    const sent = new Promise<void>((resolve) => {
      queue.push({ entry: entry(2), expectResponse: true, sendRequest: resolve });
    });

    expect(queue.pending).toHaveLength(1);
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    await sent;
    expect(queue.pending).toHaveLength(0);
    queue.destroy();
  });
});
