package dev.clickstream.app.sink;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import dev.failsafe.function.CheckedSupplier;
import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one retry policy of the Postgres sinks (Failsafe): a write that fails with a transient error is tried
 * again, whole, until it succeeds or {@code DB_RETRY_TIMEOUT} has passed; any other error fails at once.
 *
 * <p>Transient (a retry can fix it), from the PostgreSQL manual, Appendix A "PostgreSQL Error Codes": class
 * {@code 08} (connection exception: refused, lost, reset, a socket timeout), {@code 57P01} admin_shutdown,
 * {@code 57P02} crash_shutdown, {@code 57P03} cannot_connect_now (the server is starting), {@code 53300}
 * too_many_connections, {@code 40001} serialization_failure, {@code 40P01} deadlock_detected, {@code 57014}
 * query_canceled (a statement timeout, a cancel by an operator); the pool's {@link SQLTransientConnectionException}
 * (no connection within its timeout); and an error without a state that was caused by an {@link IOException}.
 * Everything else is fatal for the write as a whole: a row Postgres refuses for its content (classes 22 and 23)
 * is set aside by {@link PostgresUpsertSink} into {@code rejected_rows}; a permission or a missing table would
 * only fail again.
 *
 * <p>Backoff: the n-th retry waits {@code delay(n) = min(FIRST_DELAY x 2^n, MAX_DELAY)} = 0.5 s, 1 s, 2 s, ...,
 * 15 s (Failsafe's {@code withBackoff}), for at most {@code DB_RETRY_TIMEOUT} in all ({@code withMaxDuration}).
 * Each retry is logged at WARN with the error.
 */
public final class PostgresRetry {
  /** The first retry's delay. */
  public static final Duration FIRST_DELAY = Duration.ofMillis(500);
  /** The longest delay between two attempts. */
  public static final Duration MAX_DELAY = Duration.ofSeconds(15);

  private static final Logger LOG = LoggerFactory.getLogger(PostgresRetry.class);
  /** The transient SQL states outside class 08 (see the class comment). */
  private static final java.util.Set<String> TRANSIENT_STATES =
      java.util.Set.of("57P01", "57P02", "57P03", "53300", "40001", "40P01", "57014");

  private PostgresRetry() {}

  /**
   * @param failure what a JDBC call threw
   * @return whether a retry can fix it (see the class comment)
   */
  public static boolean isTransient(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLException e && e.getSQLState() != null) {
        return TRANSIENT_STATES.contains(e.getSQLState()) || e.getSQLState().startsWith("08");
      }
      if (t instanceof SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Runs a write, retrying it on transient errors.
   *
   * @param db the database (its URL names it in the error; its {@code retryTimeout} bounds the retries, 0 = none)
   * @param write the whole write, safe to run again (one transaction that commits at its end)
   * @param <T> its result
   * @return the result of the first attempt that succeeds
   * @throws SQLException a fatal error at once; or, when transient errors went on for {@code retryTimeout}, one
   *     naming the database and the last error: {@code postgres at <url> unreachable for <n> s (DB_RETRY_TIMEOUT):
   *     <error>}
   */
  public static <T> T run(DatabaseConfig db, CheckedSupplier<T> write) throws SQLException {
    if (db.retryTimeout().isZero()) {
      return get(write);
    }
    RetryPolicy<T> policy = RetryPolicy.<T>builder()
        .handleIf((result, failure) -> failure != null && isTransient(failure))
        .withBackoff(FIRST_DELAY, MAX_DELAY)
        .withMaxRetries(-1)
        .withMaxDuration(db.retryTimeout())
        .onRetry(e -> LOG.warn("postgres at {}: retry {} after {} s of at most {} s (DB_RETRY_TIMEOUT): {}",
            db.maskedUrl(), e.getAttemptCount(), e.getElapsedTime().toSeconds(), db.retryTimeout().toSeconds(),
            firstLine(e.getLastException())))
        .build();
    try {
      return Failsafe.with(policy).get(write);
    } catch (FailsafeException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (isTransient(cause)) {
        SQLException gaveUp = new SQLException("postgres at " + db.maskedUrl() + " unreachable for "
            + db.retryTimeout().toSeconds() + " s (DB_RETRY_TIMEOUT): " + firstLine(cause), "08000");
        gaveUp.addSuppressed(cause); // not the cause: the pipeline reports the root cause, and this is the line
        throw gaveUp;
      }
      if (cause instanceof SQLException sql) {
        throw sql;
      }
      throw e;
    }
  }

  private static <T> T get(CheckedSupplier<T> write) throws SQLException {
    try {
      return write.get();
    } catch (SQLException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new SQLException(t.getMessage(), t);
    }
  }

  private static String firstLine(Throwable t) {
    String message = t == null || t.getMessage() == null ? String.valueOf(t) : t.getMessage();
    return message.lines().findFirst().orElse("");
  }
}
