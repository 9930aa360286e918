-- Run by Flyway as the migration owner after every migration, when the sinks write as another role
-- (DB_MIGRATION_USER differs from DB_USER): that role may read and write the result tables and nothing else: no
-- DDL, no TRUNCATE, not the migration history. A table added by a new migration is added here too (the roles test
-- fails otherwise). ${writer} is DB_USER as a quoted identifier.
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE
    page_view_counts, active_users, active_user_minutes, user_sessions,
    product_activity, category_revenue, conversion_funnel, traffic_by_segment, rejected_rows
  TO ${writer};
