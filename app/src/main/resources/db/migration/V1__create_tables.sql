-- Tables of DESIGN §4. All writes are upserts with absolute values, keyed by the primary key, so replaying a
-- micro-batch after a crash leaves the same rows.

CREATE TABLE page_view_counts (
  window_start timestamptz NOT NULL,
  window_end   timestamptz NOT NULL,
  page_url     text        NOT NULL,
  view_count   bigint      NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (window_start, page_url)
);

CREATE TABLE active_users (
  window_start      timestamptz NOT NULL,
  window_end        timestamptz NOT NULL,
  active_user_count bigint      NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (window_start, window_end)
);

CREATE TABLE user_sessions (
  user_id          text        NOT NULL,
  session_start    timestamptz NOT NULL,
  session_end      timestamptz,
  duration_seconds double precision,
  event_count      bigint      NOT NULL,
  page_view_count  bigint      NOT NULL,
  status           text        NOT NULL CHECK (status IN ('active', 'ended', 'timed_out')),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, session_start)
);

CREATE INDEX page_view_counts_window_end ON page_view_counts (window_end);
CREATE INDEX user_sessions_status ON user_sessions (status);
