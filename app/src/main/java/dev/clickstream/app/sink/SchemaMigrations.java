package dev.clickstream.app.sink;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings the Postgres schema to the latest Flyway migration in {@code classpath:db/migration}, the only source
 * of the schema. Waits for Postgres first, so a driver that starts before its database does not crash-loop.
 */
public final class SchemaMigrations {
  private SchemaMigrations() {}

  /**
   * @param db connection settings
   * @param patience how long to keep trying to connect (the pipeline uses 60 s)
   * @return the number of migrations applied now (0 when the schema is current)
   * @throws StartupException naming the URL (never the password) when Postgres stays unreachable
   * @throws org.flywaydb.core.api.FlywayException when a migration fails
   */
  public static int migrate(DatabaseConfig db, Duration patience) {
    awaitReachable(db, patience);
    MigrateResult result = Flyway.configure()
        .dataSource(db.jdbcUrl(), db.user(), db.password())
        .locations("classpath:db/migration")
        .load()
        .migrate();
    return result.migrationsExecuted;
  }

  private static void awaitReachable(DatabaseConfig db, Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    SQLException last;
    do {
      try (Connection c = db.connect()) {
        return;
      } catch (SQLException e) {
        last = e;
        if ("28P01".equals(e.getSQLState()) || "3D000".equals(e.getSQLState())) {
          break; // wrong password or no such database: waiting will not help
        }
      }
      try {
        Thread.sleep(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    } while (System.nanoTime() < deadline);
    String cause = last.getMessage() == null ? last.toString() : last.getMessage().lines().findFirst().orElse("");
    if ("28P01".equals(last.getSQLState()) || "3D000".equals(last.getSQLState())) {
      throw new StartupException("postgres at " + db.jdbcUrl() + " refused the connection: " + cause);
    }
    throw new StartupException("postgres at " + db.jdbcUrl() + " unreachable after " + patience.toSeconds() + " s: " + cause);
  }

  /** Postgres cannot be used; the message is one line naming the URL. */
  public static final class StartupException extends RuntimeException {
    /** @param message one line */
    public StartupException(String message) {
      super(message);
    }
  }
}
