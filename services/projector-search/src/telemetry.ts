import { packageVersion, startTelemetry } from '@cqrs-shop/telemetry';

/**
 * Tracing, started before anything else is loaded so that the libraries it instruments are
 * traced: main.ts imports this module first.
 */
export const telemetry = startTelemetry({
  service: 'projector-search',
  version: packageVersion(__dirname),
  // The projector starts each batch's span itself, in the trace of its event (see Projector):
  // the instrumentation would add a trace of its own per fetch and a span per message.
  instrumentKafka: false,
});
