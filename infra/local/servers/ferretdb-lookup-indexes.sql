SET client_min_messages = warning;
-- FerretDB 1.x keeps each collection as a table with one jsonb column, `_jsonb`, and turns an
-- equality filter such as {_id: "…"} into `(_jsonb -> '_id') @> '"…"'`. Its own indexes are
-- btrees, which PostgreSQL cannot use for `@>`, so every lookup by id scans the whole table and a
-- projection's cost grows with the square of its size (MongoDB itself uses its _id index).
-- This event trigger gives every table FerretDB creates GIN indexes on the fields the suite
-- looks documents up by, which `@>` does use. Local stack only; idempotent.
-- Without fastupdate: by default a GIN index gathers new entries in a pending list, which every
-- lookup reads through until a vacuum merges it, so a freshly projected collection was read at up
-- to several ms a lookup (2.2 ms of PostgreSQL CPU per order read by id at 2,000 orders, 0.25 ms
-- at 5,000 pending entries against 0.10 ms merged). A write pays a little more instead.
CREATE OR REPLACE FUNCTION cqrs_shop_lookup_indexes() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  created record;
  field text;
BEGIN
  FOR created IN
    SELECT c.objid::regclass AS tbl, n.nspname AS schema, t.relname AS name
    FROM pg_event_trigger_ddl_commands() c
    JOIN pg_class t ON t.oid = c.objid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE c.command_tag = 'CREATE TABLE' AND c.object_type = 'table'
  LOOP
    CONTINUE WHEN NOT EXISTS (
      SELECT 1 FROM pg_attribute WHERE attrelid = created.tbl AND attname = '_jsonb' AND NOT attisdropped
    );
    FOREACH field IN ARRAY ARRAY['_id', 'customerId'] LOOP
      EXECUTE format(
        'CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb -> %L)) WITH (fastupdate = off)',
        left(created.name, 40) || '_' || md5(field) || '_gin',
        created.tbl,
        field
      );
    END LOOP;
  END LOOP;
END;
$$;

DROP EVENT TRIGGER IF EXISTS cqrs_shop_lookup_indexes;
CREATE EVENT TRIGGER cqrs_shop_lookup_indexes ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION cqrs_shop_lookup_indexes();

-- FerretDB sends a lookup as a prepared statement whose field name is a parameter too
-- (`_jsonb -> $1 @> $2`). After five runs PostgreSQL may settle on a generic plan, which cannot
-- match `$1` to an index on `_jsonb -> '_id'` and scans the table; connections that did so made
-- one lookup in ten take 0.2–11 ms instead of 0.035 ms (2,000 orders read by id, 16 clients:
-- 2.4 s of PostgreSQL time for 3,469 lookups, 0.18 s with this). Planning each lookup for its
-- values costs far less than a scan. FerretDB opens its connections after this has run.
ALTER DATABASE ferretdb SET plan_cache_mode = force_custom_plan;
