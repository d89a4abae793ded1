-- Event schemas v2: OrderPlaced says where an order was placed, CustomerRegistered may carry the
-- name's parts beside the display name.
-- Orders placed before channels existed all came from the web shop, and so does an insert that
-- names no channel (a command service older than this migration, during a rolling deploy).
ALTER TABLE orders ADD COLUMN channel VARCHAR(32) NOT NULL DEFAULT 'WEB' AFTER currency;

-- Customers registered before gave only a display name: their parts stay unknown (NULL).
ALTER TABLE customers
  ADD COLUMN given_name VARCHAR(200) NULL AFTER name,
  ADD COLUMN family_name VARCHAR(200) NULL AFTER given_name;
