-- The clickstream database's roles (README, "Security"). Run once, by the superuser, when Postgres initialises its
-- data directory: on Kubernetes by the chart's init script (psql -v ...), under make run and in the tests by
-- PostgresServer.createRoles (the same file). None of the three is a superuser or may create roles or databases.
-- psql variables: owner, writer, reader (role names); owner_password, writer_password, reader_password; DBNAME
-- (psql's own: the database connected to).

-- owner: runs the Flyway migrations at the pipeline's start-up, and so owns the tables it creates
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
-- writer: the sinks; SELECT, INSERT, UPDATE, DELETE on the result tables only, granted by the owner after every
-- migration (the pipeline's db/grants/afterMigrate.sql)
CREATE ROLE :"writer" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'writer_password';
-- reader: people (make psql) and dashboards; reads every table, writes none
CREATE ROLE :"reader" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'reader_password';

-- only these three (and the superuser) may connect; no temporary tables
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME" TO :"owner", :"writer", :"reader";
-- the owner creates in the schema, the others only look objects up in it (PostgreSQL 15+ no longer lets PUBLIC
-- create in public; revoked here as well for older servers)
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"writer", :"reader";
-- SELECT on every table and USAGE on every schema, present and future (predefined role, PostgreSQL 14+)
GRANT pg_read_all_data TO :"reader";
