import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Lifecycle } from '@cqrs-shop/lifecycle';
import type { Express } from 'express';

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting connections and resolves when in-flight requests have finished. */
  readonly close: () => Promise<void>;
}

/** Listens on host:port (port 0 picks a free one) and registers the server's closing on stop. */
export async function listen(
  app: Express,
  address: { port: number; host: string },
  lifecycle?: Lifecycle,
): Promise<RunningServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(address.port, address.host, (error?: Error) => {
      if (error) reject(error);
      else resolve(listening);
    });
  });
  // Keep-alive sockets must not outlive a load balancer's idle timeout by accident.
  server.keepAliveTimeout = 65_000;
  const running: RunningServer = {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
  lifecycle?.onStop('http server', running.close);
  return running;
}
