-- Outbox rows the relay cannot publish as they are — a traceparent the event envelope refuses,
-- an event type this relay does not know, a message over the broker's size limit — moved out
-- of the outbox with the reason, so that the rows behind them keep flowing. Later rows of the
-- same aggregate are held here too (held_behind names the row they wait for), so that its
-- events still reach Kafka in version order. `cqrs outbox release` moves a row, and the rows
-- held behind it, back to the outbox with their positions.
CREATE TABLE outbox_quarantine (
  position BIGINT UNSIGNED NOT NULL,
  event_id CHAR(36) NOT NULL,
  event_type VARCHAR(64) NOT NULL,
  aggregate_type VARCHAR(16) NOT NULL,
  aggregate_id CHAR(36) NOT NULL,
  aggregate_version INT UNSIGNED NOT NULL,
  schema_fingerprint CHAR(16) NOT NULL,
  payload BLOB NOT NULL,
  command_id CHAR(36) NOT NULL,
  correlation_id VARCHAR(128) NOT NULL,
  causation_id VARCHAR(128) NOT NULL,
  traceparent VARCHAR(55) NULL,
  occurred_at DATETIME(6) NOT NULL,
  reason VARCHAR(1000) NOT NULL,
  held_behind BIGINT UNSIGNED NULL,
  quarantined_at DATETIME(6) NOT NULL,
  PRIMARY KEY (position),
  KEY ix_outbox_quarantine_aggregate (aggregate_type, aggregate_id),
  KEY ix_outbox_quarantine_held (held_behind)
) ENGINE = InnoDB;
