/**
 * The transactional outbox in MySQL as the relay and the operators see it: its rows and how they
 * are claimed and marked sent, the quarantine of rows that cannot be published (listed and
 * released by `cqrs outbox`), and the relay's backlog as the gateway and the CLI read it from
 * the relay's `GET /stats`.
 */
export { OutboxStore } from './store.js';
export type { OutboxRow, SendIntent } from './store.js';
export { OutboxQuarantine, ReleaseRefusedError } from './quarantine.js';
export type { QuarantineMove, QuarantinedRow, ReleaseFix } from './quarantine.js';
export { fetchEventStage, fetchOutboxStatus, outboxStatusOf, unknownOutbox } from './status.js';
export type { EventStage, OutboxStatus, RelayReport } from './status.js';
