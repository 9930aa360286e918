-- Rows Postgres refused for their content (SQL state classes 22 and 23) after the contract's validation: the
-- pipeline records them here and writes the rest of the micro-batch, so that no row can stop a query (DESIGN §3).
-- Idempotent per (table, key, micro-batch): a replayed micro-batch records the same rows again. batch_id -1: a
-- recompute.
CREATE TABLE rejected_rows (
  table_name   text        NOT NULL,
  row_key      jsonb       NOT NULL,
  sql_state    text        NOT NULL,
  message      text        NOT NULL,
  query        text        NOT NULL,
  batch_id     bigint      NOT NULL,
  rejected_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_name, row_key, batch_id)
);
