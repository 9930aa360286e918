package dev.clickstream.app.sink;

import dev.clickstream.app.config.JdbcUrls;
import dev.clickstream.contract.StartupFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.configuration.FluentConfiguration;

/**
 * Brings the Postgres schema to the latest Flyway migration in {@code classpath:db/migration}, the only source
 * of the schema. Waits for Postgres first, so a driver that starts before its database does not crash-loop.
 *
 * <p>With roles (docs/kubernetes.md, "Security"): the migration owner runs Flyway and so owns the tables; after every
 * migration it grants the sinks' role SELECT, INSERT, UPDATE and DELETE on the result tables and nothing else
 * ({@code classpath:db/grants/afterMigrate.sql}, a Flyway callback).
 */
public final class SchemaMigrations {
  private SchemaMigrations() {}

  /**
   * Migrates as {@code db}'s user, who is also the one that writes (one role for everything: tests, benchmarks).
   *
   * @param db connection settings
   * @param patience how long to keep trying to connect (the pipeline uses 60 s)
   * @return the number of migrations applied now (0 when the schema is current)
   * @throws StartupFailure naming the URL (never the password) when Postgres stays unreachable or a migration
   *     fails
   */
  public static int migrate(DatabaseConfig db, Duration patience) {
    return migrate(db, db.user(), patience);
  }

  /**
   * @param owner the migration owner's connection settings (DB_MIGRATION_USER)
   * @param writer the role the sinks write as (DB_USER); granted the result tables when it is not {@code owner}'s
   * @param patience how long to keep trying to connect
   * @return the number of migrations applied now (0 when the schema is current)
   * @throws StartupFailure naming the URL (never the password) when Postgres stays unreachable or a migration
   *     or grant fails (e.g. the owner lacks a right: the roles were not created as {@code postgres-roles.sql} does)
   */
  public static int migrate(DatabaseConfig owner, String writer, Duration patience) {
    awaitReachable(owner, patience);
    FluentConfiguration flyway = Flyway.configure()
        .dataSource(owner.jdbcUrl(), owner.user(), owner.password())
        .locations("classpath:db/migration");
    if (!writer.equals(owner.user())) {
      flyway.locations("classpath:db/migration", "classpath:db/grants")
          .placeholders(Map.of("writer", "\"" + writer.replace("\"", "\"\"") + "\""));
    }
    try {
      return flyway.load().migrate().migrationsExecuted;
    } catch (FlywayException e) {
      String first = e.getMessage() == null ? e.toString() : e.getMessage().strip().lines().findFirst().orElse("");
      throw new StartupFailure("schema migration of postgres at " + owner.maskedUrl() + " as "
          + owner.user() + " failed: " + JdbcUrls.masked(first), StartupFailure.UNAVAILABLE, e);
    }
  }

  /**
   * For a pipeline that does not migrate (DB_MIGRATIONS=verify: the chart's migrations Job does, as the owner):
   * waits until every table exists and {@code db}'s user may SELECT, INSERT, UPDATE and DELETE it, as the grants
   * after a migration allow. The writer may not read Flyway's history (afterMigrate.sql), so this checks what the
   * sinks need, not the schema's version.
   *
   * @param db the sinks' connection settings (DB_USER)
   * @param tables the tables the sinks write
   * @param patience how long to wait for Postgres and for the tables (a migrations Job may still be running)
   * @throws StartupFailure exit 2 naming the first table that is missing or not writable once {@code patience} has
   *     passed; exit 1 when Postgres stays unreachable or refuses the role
   */
  public static void verify(DatabaseConfig db, java.util.List<String> tables, Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    awaitReachable(db, patience);
    String missing;
    do {
      missing = unwritable(db, tables);
      if (missing == null) {
        return;
      }
    } while (pausedBeforeRetry() && System.nanoTime() < deadline);
    throw StartupFailure.badSetting("postgres at " + db.maskedUrl() + ": " + missing + " after "
        + patience.toSeconds() + " s (DB_MIGRATIONS=verify): run the schema migrations as the owner role (the chart's "
        + "migrations Job, or DB_MIGRATIONS=apply with DB_MIGRATION_USER)");
  }

  /** @return the first table that is missing or that {@code db}'s user may not write, as a phrase; null when none */
  private static String unwritable(DatabaseConfig db, java.util.List<String> tables) {
    try (Connection c = db.connectDirect();
         java.sql.PreparedStatement check = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL, "
             + "to_regclass(?) IS NOT NULL AND has_table_privilege(?, 'SELECT, INSERT, UPDATE, DELETE')")) {
      for (String table : tables) {
        check.setString(1, table);
        check.setString(2, table);
        check.setString(3, table);
        try (java.sql.ResultSet rs = check.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(1)) {
            return "table " + table + " does not exist";
          }
          if (!rs.getBoolean(2)) {
            return db.user() + " may not SELECT, INSERT, UPDATE and DELETE table " + table;
          }
        }
      }
      return null;
    } catch (SQLException e) {
      return "cannot check the tables: " + JdbcUrls.masked(String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
  }

  /**
   * The migrations Job of the chart (pre-upgrade and post-install hook): applies the migrations as the owner and
   * grants the writer, from the environment: JDBC_URL, DB_MIGRATION_USER, DB_MIGRATION_PASSWORD (the owner) and
   * DB_USER (the writer). Prints one line and exits 0, or prints the failure's line and exits with its status
   * (2: a setting missing; 1: Postgres unreachable or a migration failed).
   *
   * @param args none
   */
  public static void main(String[] args) {
    try {
      java.util.Map<String, String> env = System.getenv();
      DatabaseConfig owner = new DatabaseConfig(required(env, "JDBC_URL"), required(env, "DB_MIGRATION_USER"),
          required(env, "DB_MIGRATION_PASSWORD"));
      int applied = migrate(owner, required(env, "DB_USER"), Duration.ofMinutes(5));
      System.out.println("clickstream schema migrations: " + applied + " applied as " + owner.user() + ", schema current");
      System.exit(0);
    } catch (StartupFailure e) {
      System.err.println("clickstream schema migrations: " + e.getMessage());
      System.exit(e.exitStatus());
    }
  }

  private static String required(java.util.Map<String, String> env, String name) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      throw StartupFailure.badSetting(name + " is required (from the environment)");
    }
    return value;
  }

  private static void awaitReachable(DatabaseConfig db, Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    SQLException last;
    do {
      try (Connection c = db.connectDirect()) {
        return;
      } catch (SQLException e) {
        last = e;
        if (refused(e)) {
          break; // no such role, wrong password or no such database: waiting will not help
        }
      }
    } while (pausedBeforeRetry() && System.nanoTime() < deadline);
    String cause = JdbcUrls.masked(last.getMessage() == null ? last.toString() : last.getMessage().lines().findFirst().orElse(""));
    if (refused(last)) {
      throw StartupFailure.unavailable("postgres at " + db.maskedUrl() + " refused the connection: " + cause);
    }
    throw StartupFailure.unavailable("postgres at " + db.maskedUrl() + " unreachable after " + patience.toSeconds() + " s: " + cause);
  }

  /** @return after 2 s, true; false at once when the thread is interrupted (its flag kept) */
  private static boolean pausedBeforeRetry() {
    try {
      Thread.sleep(2_000);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Class 28 (invalid authorization: no such role, wrong password) and 3D000 (no such database). */
  private static boolean refused(SQLException e) {
    return e.getSQLState() != null && (e.getSQLState().startsWith("28") || e.getSQLState().equals("3D000"));
  }

}
