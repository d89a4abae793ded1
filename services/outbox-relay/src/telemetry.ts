import { packageVersion, startTelemetry } from '@cqrs-shop/telemetry';

/**
 * Tracing, started before anything else is loaded so that the libraries it instruments are
 * traced: main.ts imports this module first.
 */
export const telemetry = startTelemetry({
  service: 'outbox-relay',
  version: packageVersion(__dirname),
  // The relay starts each message's span in its own command's trace (see OutboxRelay).
  instrumentKafka: false,
});
