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
      try {
        Thread.sleep(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    } while (System.nanoTime() < deadline);
    String cause = JdbcUrls.masked(last.getMessage() == null ? last.toString() : last.getMessage().lines().findFirst().orElse(""));
    if (refused(last)) {
      throw StartupFailure.unavailable("postgres at " + db.maskedUrl() + " refused the connection: " + cause);
    }
    throw StartupFailure.unavailable("postgres at " + db.maskedUrl() + " unreachable after " + patience.toSeconds() + " s: " + cause);
  }

  /** Class 28 (invalid authorization: no such role, wrong password) and 3D000 (no such database). */
  private static boolean refused(SQLException e) {
    return e.getSQLState() != null && (e.getSQLState().startsWith("28") || e.getSQLState().equals("3D000"));
  }

}
