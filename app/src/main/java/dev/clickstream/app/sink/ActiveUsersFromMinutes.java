package dev.clickstream.app.sink;

import dev.clickstream.app.analytics.ActiveUserWindows;
import dev.clickstream.app.analytics.WindowedAnalytics;
import dev.clickstream.contract.ResultTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import org.apache.spark.sql.Row;

/**
 * Derives the {@code active_users} rows (window_start, window_end, active_user_count) of the windows that hold the
 * minutes whose sketch a transaction just wrote to {@code active_user_minutes}: for each such window, the union of
 * the sketches of its five minutes as Postgres holds them in that transaction ({@link ActiveUserWindows}). So a
 * window's count follows its minutes whichever micro-batch or recompute wrote them, and a replay derives the same.
 *
 * <p>Partitions of one micro-batch write their minutes in concurrent transactions, and a window may hold minutes of
 * two of them; each takes one transaction-scoped advisory lock before it reads, so they derive one after the other,
 * and the last to derive a window reads every minute the others committed (READ COMMITTED reads what committed
 * before each statement: PostgreSQL manual, "Transaction Isolation"). The lock is held until commit, which is at
 * most one partition's write.
 */
final class ActiveUsersFromMinutes implements PostgresUpsertSink.Derivation {
  /** pg_advisory_xact_lock's key: the bytes of "active_u" (any constant that no other code locks). */
  static final long LOCK = 0x6163746976655f75L;

  @Override
  public long derive(Connection connection, PostgresUpsertSink.Target target, Map<String, Collection<Row>> written)
      throws SQLException {
    Collection<Row> minutes = written.getOrDefault(ResultTable.ACTIVE_USER_MINUTES.tableName(), List.of());
    if (minutes.isEmpty()) {
      return 0;
    }
    List<Instant> changed = new ArrayList<>();
    for (Row r : minutes) {
      changed.add(r.<Timestamp>getAs("window_start").toInstant());
    }
    NavigableSet<Instant> windows = ActiveUserWindows.windowsHolding(changed);
    try (PreparedStatement lock = connection.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
      lock.setLong(1, LOCK);
      lock.execute();
    }
    Map<Instant, byte[]> sketches = new HashMap<>();
    try (PreparedStatement read = connection.prepareStatement("SELECT window_start, users_sketch FROM "
        + ResultTable.ACTIVE_USER_MINUTES.tableName() + " WHERE window_start >= ? AND window_start < ?")) {
      read.setObject(1, windows.first().atOffset(ZoneOffset.UTC));
      read.setObject(2, windows.last().plus(WindowedAnalytics.ACTIVE_USERS_WINDOW).atOffset(ZoneOffset.UTC));
      try (ResultSet rs = read.executeQuery()) {
        while (rs.next()) {
          sketches.put(rs.getObject(1, java.time.OffsetDateTime.class).toInstant(), rs.getBytes(2));
        }
      }
    }
    long upserted = 0;
    try (PreparedStatement upsert = connection.prepareStatement(target.upsert())) {
      for (Map.Entry<Instant, Long> w : ActiveUserWindows.estimates(sketches, windows).entrySet()) {
        upsert.setObject(1, w.getKey().atOffset(ZoneOffset.UTC));
        upsert.setObject(2, w.getKey().plus(WindowedAnalytics.ACTIVE_USERS_WINDOW).atOffset(ZoneOffset.UTC));
        upsert.setLong(3, w.getValue());
        upsert.addBatch();
        upserted++;
      }
      upsert.executeBatch();
    }
    return upserted;
  }
}
