import { createLogger } from '@cqrs-shop/logging';
import { createKafkaClients } from '../src/index.js';

describe('KafkaClients', () => {
  it('forgets a client once it is disconnected, so clients made per attempt do not pile up', async () => {
    const clients = createKafkaClients(
      {
        brokers: ['127.0.0.1:1'],
        clientId: 'test',
        connectionTimeoutMs: 100,
        requestTimeoutMs: 100,
        retries: 0,
      },
      createLogger({ service: 'test', level: 'silent' }),
    );
    for (let attempt = 0; attempt < 3; attempt++) {
      const producer = clients.producer();
      const admin = clients.admin();
      expect(clients.open).toBe(2);
      await producer.disconnect();
      await admin.disconnect();
    }
    const kept = clients.producer();
    expect(clients.open).toBe(1);
    await clients.close();
    expect(clients.open).toBe(0);
    await kept.disconnect();
  });
});
