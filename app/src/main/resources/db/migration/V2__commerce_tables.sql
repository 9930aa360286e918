-- Commerce tables of DESIGN §4, written by the commerce query. Upserts with absolute values, keyed by the primary
-- key, so replaying a micro-batch after a crash leaves the same rows. Money is numeric, never a float.

CREATE TABLE product_activity (
  window_start  timestamptz NOT NULL,
  window_end    timestamptz NOT NULL,
  product_id    text        NOT NULL,
  category      text,
  views         bigint      NOT NULL,
  add_to_carts  bigint      NOT NULL,
  purchases     bigint      NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (window_start, product_id)
);

CREATE TABLE category_revenue (
  window_start  timestamptz    NOT NULL,
  window_end    timestamptz    NOT NULL,
  category      text           NOT NULL,
  currency      char(3)        NOT NULL,
  orders        bigint         NOT NULL,
  units         bigint         NOT NULL,
  revenue       numeric(14, 2) NOT NULL,
  updated_at    timestamptz    NOT NULL DEFAULT now(),
  PRIMARY KEY (window_start, category, currency)
);

CREATE TABLE conversion_funnel (
  window_start      timestamptz   NOT NULL,
  window_end        timestamptz   NOT NULL,
  viewers           bigint        NOT NULL,
  cart_users        bigint        NOT NULL,
  buyers            bigint        NOT NULL,
  view_to_cart      numeric(6, 4),
  cart_to_purchase  numeric(6, 4),
  updated_at        timestamptz   NOT NULL DEFAULT now(),
  PRIMARY KEY (window_start)
);

CREATE TABLE traffic_by_segment (
  window_start  timestamptz NOT NULL,
  window_end    timestamptz NOT NULL,
  device        text        NOT NULL,
  country       text        NOT NULL,
  events        bigint      NOT NULL,
  users         bigint      NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (window_start, device, country)
);

CREATE INDEX product_activity_window_end ON product_activity (window_end);
CREATE INDEX category_revenue_window_end ON category_revenue (window_end);
CREATE INDEX traffic_by_segment_window_end ON traffic_by_segment (window_end);
