-- The write model: current state of every aggregate, the transactional outbox of events,
-- idempotency records and the command audit trail. MySQL 8 and MariaDB 10.6+ accept all of it.

CREATE TABLE customers (
  id CHAR(36) NOT NULL,
  name VARCHAR(200) NOT NULL,
  email VARCHAR(320) NOT NULL,
  version INT UNSIGNED NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_customers_email (email)
) ENGINE = InnoDB;

CREATE TABLE products (
  id CHAR(36) NOT NULL,
  sku VARCHAR(64) NOT NULL,
  name VARCHAR(200) NOT NULL,
  description TEXT NULL,
  price_cents BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  stock INT NOT NULL,
  version INT UNSIGNED NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_products_sku (sku),
  -- The last line of defence for "stock never goes below zero".
  CONSTRAINT ck_products_stock CHECK (stock >= 0),
  CONSTRAINT ck_products_price CHECK (price_cents >= 0)
) ENGINE = InnoDB;

CREATE TABLE orders (
  id CHAR(36) NOT NULL,
  customer_id CHAR(36) NOT NULL,
  status VARCHAR(16) NOT NULL,
  total_cents BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  refund_cents BIGINT NULL,
  version INT UNSIGNED NOT NULL,
  placed_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_orders_customer (customer_id, placed_at),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE = InnoDB;

CREATE TABLE order_lines (
  order_id CHAR(36) NOT NULL,
  line_no SMALLINT UNSIGNED NOT NULL,
  product_id CHAR(36) NOT NULL,
  sku VARCHAR(64) NOT NULL,
  product_name VARCHAR(200) NOT NULL,
  quantity INT NOT NULL,
  unit_price_cents BIGINT NOT NULL,
  line_total_cents BIGINT NOT NULL,
  PRIMARY KEY (order_id, line_no),
  KEY ix_order_lines_product (product_id),
  CONSTRAINT fk_order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT fk_order_lines_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT ck_order_lines_quantity CHECK (quantity >= 1)
) ENGINE = InnoDB;

-- Events committed with the state change that caused them, published to Kafka by the relay.
-- Within one aggregate, positions grow with versions: commands on an aggregate hold its row
-- lock, so a later version is inserted only after the earlier one committed.
CREATE TABLE outbox (
  position BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
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
  published_at DATETIME(6) NULL,
  PRIMARY KEY (position),
  UNIQUE KEY uq_outbox_event (event_id),
  UNIQUE KEY uq_outbox_aggregate_version (aggregate_type, aggregate_id, aggregate_version),
  KEY ix_outbox_pending (published_at, position)
) ENGINE = InnoDB;

-- The first response to each Idempotency-Key, replayed to retries with the same request.
CREATE TABLE idempotency_keys (
  idempotency_key VARCHAR(200) NOT NULL,
  request_hash CHAR(64) NOT NULL,
  status_code SMALLINT UNSIGNED NOT NULL,
  response_body TEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  PRIMARY KEY (idempotency_key),
  KEY ix_idempotency_expiry (expires_at)
) ENGINE = InnoDB;

-- One row per command received, accepted or rejected, written with its effect.
CREATE TABLE command_audit (
  command_id CHAR(36) NOT NULL,
  command_type VARCHAR(64) NOT NULL,
  aggregate_type VARCHAR(16) NULL,
  aggregate_id CHAR(36) NULL,
  actor VARCHAR(200) NULL,
  remote_address VARCHAR(64) NULL,
  user_agent VARCHAR(300) NULL,
  correlation_id VARCHAR(128) NOT NULL,
  idempotency_key VARCHAR(200) NULL,
  received_at DATETIME(6) NOT NULL,
  outcome VARCHAR(16) NOT NULL,
  status_code SMALLINT UNSIGNED NOT NULL,
  problem_code VARCHAR(64) NULL,
  detail VARCHAR(1000) NULL,
  PRIMARY KEY (command_id),
  KEY ix_command_audit_received (received_at),
  KEY ix_command_audit_aggregate (aggregate_type, aggregate_id)
) ENGINE = InnoDB;
