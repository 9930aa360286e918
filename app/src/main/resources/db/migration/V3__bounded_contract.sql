-- Every column wide enough for any window of valid events (DESIGN §3 bounds every field): a price is below 10^7
-- with 2 decimals and a quantity below 10^4, so an order line is below 10^11 and a window's revenue, a sum of
-- lines, fits numeric(38,2) for up to 10^25 of them. The funnel's rates are ratios of distinct-user counts
-- (bigint): above 1 whenever a window has more cart users than viewers (a "buy now" flow), up to the largest bigint.
ALTER TABLE category_revenue ALTER COLUMN revenue TYPE numeric(38, 2);
ALTER TABLE conversion_funnel
  ALTER COLUMN view_to_cart TYPE numeric(24, 4),
  ALTER COLUMN cart_to_purchase TYPE numeric(24, 4);
