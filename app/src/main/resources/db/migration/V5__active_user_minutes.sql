-- Each event-time minute's users as a DataSketches HLL sketch (Spark's hll_sketch_agg bytes, lgConfigK 14): the
-- analytics query writes one row per minute, and the active_users windows (5 minutes sliding by 1) are derived in
-- the same transaction as the union of their five minutes' sketches. Upserted with absolute values, as every result
-- table; kept for as long as the windows built on them.
CREATE TABLE active_user_minutes (
  window_start timestamptz NOT NULL PRIMARY KEY,
  window_end   timestamptz NOT NULL,
  users_sketch bytea       NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
