package dev.clickstream.app.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.contract.StartupFailure;
import dev.clickstream.testkit.DatabaseRoles;
import dev.clickstream.testkit.FreePorts;
import dev.clickstream.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SchemaMigrationsTest {
  @RegisterExtension static final PostgresExtension PG = new PostgresExtension();
  /** A database of its own for the roles: they own its schema. */
  @RegisterExtension static final PostgresExtension ROLES_PG = new PostgresExtension();
  /** A database that is never migrated. */
  @RegisterExtension static final PostgresExtension UNMIGRATED_PG = new PostgresExtension();
  /** A database for the verifying pipeline's test. */
  @RegisterExtension static final PostgresExtension VERIFY_PG = new PostgresExtension();

  @Test
  void createsTheDesignTablesOnceAndIsIdempotent() throws Exception {
    DatabaseConfig db = new DatabaseConfig(PG.jdbcUrl(), PG.user(), PG.password());
    assertThat(SchemaMigrations.migrate(db, Duration.ofSeconds(10))).isEqualTo(5);
    assertThat(SchemaMigrations.migrate(db, Duration.ofSeconds(10))).isZero();
    List<String> columns = new ArrayList<>();
    dev.clickstream.app.Results.query(PG.jdbcUrl(), PG.user(), PG.password(), "SELECT table_name || '.' || column_name || ':' || data_type "
        + "FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'flyway%' "
        + "ORDER BY table_name, ordinal_position", rs -> columns.add(rs.getString(1)));
    assertThat(columns).contains(
        "page_view_counts.window_start:timestamp with time zone", "page_view_counts.view_count:bigint",
        "active_users.active_user_count:bigint", "user_sessions.session_end:timestamp with time zone",
        "user_sessions.status:text", "user_sessions.updated_at:timestamp with time zone",
        "category_revenue.revenue:numeric", "conversion_funnel.view_to_cart:numeric", "product_activity.views:bigint",
        "traffic_by_segment.users:bigint");
  }

  /**
   * The roles as the chart creates them (its files/postgres-roles.sql): Flyway as the owner, which then grants the
   * writer the result tables; what each role may do is tried, not only read from the catalogue.
   */
  @Test
  void theOwnerMigratesTheWriterOnlyReadsAndWritesResultTablesTheReaderOnlyReads() throws Exception {
    DatabaseRoles roles = ROLES_PG.createRoles();
    String url = ROLES_PG.jdbcUrl();
    DatabaseConfig owner = new DatabaseConfig(url, roles.owner(), roles.ownerPassword());
    assertThat(SchemaMigrations.migrate(owner, roles.writer(), Duration.ofSeconds(10))).isEqualTo(5);
    assertThat(SchemaMigrations.migrate(owner, roles.writer(), Duration.ofSeconds(10))).as("idempotent").isZero();

    List<String> superRoles = new ArrayList<>();
    dev.clickstream.app.Results.query(url, ROLES_PG.user(), ROLES_PG.password(), "SELECT rolname FROM pg_roles WHERE rolname IN ('"
        + roles.owner() + "', '" + roles.writer() + "', '" + roles.reader() + "') AND (rolsuper OR rolcreaterole "
        + "OR rolcreatedb OR rolbypassrls)", rs -> superRoles.add(rs.getString(1)));
    assertThat(superRoles).as("no role is a superuser or may create roles or databases").isEmpty();

    List<String> tables = new ArrayList<>();
    dev.clickstream.app.Results.query(url, ROLES_PG.user(), ROLES_PG.password(), "SELECT tablename || ':' || tableowner FROM pg_tables "
        + "WHERE schemaname = 'public' ORDER BY tablename", rs -> tables.add(rs.getString(1)));
    assertThat(tables).hasSize(10).allSatisfy(t -> assertThat(t).endsWith(":" + roles.owner()));
    List<String> resultTables = tables.stream().map(t -> t.substring(0, t.indexOf(':')))
        .filter(t -> !t.equals("flyway_schema_history")).toList();

    try (Connection writer = DriverManager.getConnection(url, roles.writer(), roles.writerPassword());
         Statement w = writer.createStatement()) {
      for (String table : resultTables) {
        for (String privilege : List.of("SELECT", "INSERT", "UPDATE", "DELETE")) {
          assertThat(privileged(w, table, privilege)).as("writer %s on %s", privilege, table).isTrue();
        }
        for (String privilege : List.of("TRUNCATE", "REFERENCES", "TRIGGER")) {
          assertThat(privileged(w, table, privilege)).as("writer %s on %s", privilege, table).isFalse();
        }
      }
      w.executeUpdate("INSERT INTO page_view_counts (window_start, window_end, page_url, view_count) VALUES "
          + "('2026-11-23T12:00:00Z', '2026-11-23T12:01:00Z', '/p', 3) ON CONFLICT (window_start, page_url) DO UPDATE "
          + "SET view_count = EXCLUDED.view_count");
      assertThat(w.executeUpdate("DELETE FROM page_view_counts")).isEqualTo(1);
      for (String forbidden : List.of("CREATE TABLE t (x int)", "DROP TABLE page_view_counts",
          "ALTER TABLE page_view_counts ADD COLUMN x int", "TRUNCATE page_view_counts",
          "SELECT * FROM flyway_schema_history", "DELETE FROM flyway_schema_history", "CREATE TEMP TABLE t (x int)",
          "CREATE ROLE intruder")) {
        assertThatThrownBy(() -> w.execute(forbidden)).as("writer: %s", forbidden)
            .isInstanceOf(SQLException.class).satisfies(e -> assertThat(((SQLException) e).getSQLState())
                .isIn("42501", "42P01")); // insufficient_privilege (or "must be owner" reported as such)
      }
    }
    try (Connection reader = DriverManager.getConnection(url, roles.reader(), roles.readerPassword());
         Statement r = reader.createStatement()) {
      for (String table : resultTables) {
        r.executeQuery("SELECT count(*) FROM " + table).close();
      }
      assertThatThrownBy(() -> r.execute("DELETE FROM page_view_counts")).isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42501"));
      assertThatThrownBy(() -> r.execute("CREATE TABLE t (x int)")).isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42501"));
    }
  }

  /** A migration or grant the owner may not run is one line naming the role and the masked URL. */
  @Test
  void aMigrationThatFailsIsOneLineWithoutThePassword() {
    DatabaseRoles roles = UNMIGRATED_PG.createRoles();
    String url = UNMIGRATED_PG.jdbcUrl() + "?password=url-secret";
    // the reader may not create tables: Flyway's first statement fails
    assertThatThrownBy(() -> SchemaMigrations.migrate(new DatabaseConfig(url, roles.reader(), "hunter2"), roles.writer(),
        Duration.ofSeconds(10)))
        .isInstanceOf(StartupFailure.class)
        .hasMessageStartingWith("schema migration of postgres at " + UNMIGRATED_PG.jdbcUrl() + "?password=**** as "
            + roles.reader() + " failed: ")
        .hasMessageNotContaining("url-secret").hasMessageNotContaining("hunter2")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  private static boolean privileged(Statement s, String table, String privilege) throws SQLException {
    try (var rs = s.executeQuery("SELECT has_table_privilege('" + table + "', '" + privilege + "')")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  @Test
  void unreachablePostgresIsOneLineNamingTheUrlButNotThePassword() {
    String url = "jdbc:postgresql://127.0.0.1:" + FreePorts.next() + "/clickstream";
    assertThatThrownBy(() -> SchemaMigrations.migrate(new DatabaseConfig(url, "u", "hunter2"), Duration.ofSeconds(3)))
        .isInstanceOf(StartupFailure.class)
        .hasMessageStartingWith("postgres at " + url + " unreachable after 3 s")
        .hasMessageNotContaining("hunter2")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  /**
   * DB_MIGRATIONS=verify (the chart's driver, whose migrations a Job runs): one line naming the first table that is
   * missing once the patience has passed, and through once the owner has migrated and granted the writer.
   */
  @Test
  void aVerifyingPipelineWaitsForTheTablesTheOwnersMigrationsCreate() throws Exception {
    DatabaseRoles roles = VERIFY_PG.createRoles();
    DatabaseConfig writer = new DatabaseConfig(VERIFY_PG.jdbcUrl(), roles.writer(), roles.writerPassword());
    java.util.List<String> tables = java.util.List.of("page_view_counts", "user_sessions", "rejected_rows");
    SchemaMigrations.migrate(new DatabaseConfig(VERIFY_PG.jdbcUrl(), roles.owner(), roles.ownerPassword()), roles.writer(),
        Duration.ofSeconds(10));
    SchemaMigrations.verify(writer, tables, Duration.ofSeconds(10));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SchemaMigrations.verify(writer,
            java.util.List.of("page_view_counts", "no_such_table"), Duration.ofSeconds(1)))
        .isInstanceOf(dev.clickstream.contract.StartupFailure.class)
        .hasMessageContaining("table no_such_table does not exist after 1 s (DB_MIGRATIONS=verify): run the schema "
            + "migrations as the owner role");
  }
}
