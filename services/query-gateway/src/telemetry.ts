import { packageVersion, startTelemetry } from '@cqrs-shop/telemetry';

/**
 * Tracing, started before anything else is loaded so that the libraries it instruments are
 * traced: main.ts imports this module first.
 */
export const telemetry = startTelemetry({
  service: 'query-gateway',
  version: packageVersion(__dirname),
});
