/**
 * What others need of the relay: the `cqrs` CLI lists and releases the outbox's quarantined
 * rows; the gateway and the CLI read its backlog from its `GET /stats`.
 */
export {
  OutboxQuarantine,
  type QuarantinedRow,
  type ReleaseFix,
  ReleaseRefusedError,
} from './outbox-quarantine.js';
export {
  type EventStage,
  fetchEventStage,
  fetchOutboxStatus,
  type OutboxStatus,
  outboxStatusOf,
  type RelayReport,
  unknownOutbox,
} from './outbox-status.js';
