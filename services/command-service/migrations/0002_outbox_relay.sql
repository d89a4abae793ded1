-- The outbox relay's note of the batch it is sending: which rows went to which partition, and
-- each partition's end offset before the send. After a crash between sending and marking the
-- rows published, the next leader compares end offsets to learn which partitions received the
-- batch, so it re-sends only what Kafka does not have (one row, id 1).
CREATE TABLE outbox_relay_intent (
  id TINYINT UNSIGNED NOT NULL,
  batch MEDIUMTEXT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id)
) ENGINE = InnoDB;

INSERT INTO outbox_relay_intent (id, batch, updated_at) VALUES (1, NULL, UTC_TIMESTAMP(6));
