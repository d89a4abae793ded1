/** What the `cqrs` CLI needs to list and release the outbox's quarantined rows. */
export {
  OutboxQuarantine,
  type QuarantinedRow,
  type ReleaseFix,
  ReleaseRefusedError,
} from './outbox-quarantine.js';
