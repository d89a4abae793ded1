-- Idempotency keys are opaque and compared byte for byte: "ABC" and "abc" are two keys.
-- (The default collations of MySQL 8 and MariaDB compare text case-insensitively.)
ALTER TABLE idempotency_keys MODIFY idempotency_key VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE command_audit MODIFY idempotency_key VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NULL;
