package dev.clickstream.ops;

import dev.clickstream.contract.ResultTable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What must not change across a failure: the final part of the results. A window is final once the watermark
 * (the newest window end minus the watermark delay, minus one window length of margin) has passed its end;
 * an ended or timed-out session is final. Compared before and after a pod is killed, a final window whose
 * count changed was double counted (or lost), and fewer final sessions means rows were lost.
 *
 * @param pageViews final page_view_counts: "window_start page_url" to view_count
 * @param activeUsers final active_users: "window_start window_end" to active_user_count
 * @param finalSessions count of user_sessions rows with status ended or timed_out
 * @param totalRows rows in the three tables, to see that they keep growing
 */
public record ResultSnapshot(Map<String, Long> pageViews, Map<String, Long> activeUsers, long finalSessions, long totalRows) {
  /**
   * @param connection an open connection to the results database
   * @param watermarkDelay WATERMARK_DELAY of the pipeline
   * @return the snapshot
   * @throws SQLException when a query fails
   */
  public static ResultSnapshot take(Connection connection, Duration watermarkDelay) throws SQLException {
    String finalBefore = "(SELECT max(window_end) FROM %s) - interval '" + (watermarkDelay.toSeconds() + 300) + " seconds'";
    Map<String, Long> pages = new TreeMap<>();
    Map<String, Long> users = new TreeMap<>();
    try (Statement s = connection.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT window_start, page_url, view_count FROM " + ResultTable.PAGE_VIEW_COUNTS + " WHERE window_end <= "
          + finalBefore.formatted(ResultTable.PAGE_VIEW_COUNTS.tableName()))) {
        while (rs.next()) {
          pages.put(rs.getTimestamp(1).toInstant() + " " + rs.getString(2), rs.getLong(3));
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT window_start, window_end, active_user_count FROM " + ResultTable.ACTIVE_USERS + " WHERE window_end <= "
          + finalBefore.formatted(ResultTable.ACTIVE_USERS.tableName()))) {
        while (rs.next()) {
          users.put(rs.getTimestamp(1).toInstant() + " " + rs.getTimestamp(2).toInstant(), rs.getLong(3));
        }
      }
      long sessions = single(s, "SELECT count(*) FROM " + ResultTable.USER_SESSIONS + " WHERE status IN ('ended', 'timed_out')");
      long total = single(s, "SELECT (SELECT count(*) FROM " + ResultTable.PAGE_VIEW_COUNTS + ") + (SELECT count(*) FROM " + ResultTable.ACTIVE_USERS + ") "
          + "+ (SELECT count(*) FROM " + ResultTable.USER_SESSIONS + ")");
      return new ResultSnapshot(pages, users, sessions, total);
    }
  }

  private static long single(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * @param after a later snapshot
   * @return what went wrong between this snapshot and {@code after}, one line each; empty when nothing did
   */
  public List<String> violationsIn(ResultSnapshot after) {
    List<String> problems = new ArrayList<>();
    pageViews.forEach((key, count) -> {
      Long now = after.pageViews().get(key);
      if (now == null) {
        problems.add(ResultTable.PAGE_VIEW_COUNTS.tableName() + " " + key + ": final window lost (was " + count + ")");
      } else if (!now.equals(count)) {
        problems.add(ResultTable.PAGE_VIEW_COUNTS.tableName() + " " + key + ": final window changed " + count + " -> " + now
            + (now > count ? " (double counted)" : " (events lost)"));
      }
    });
    activeUsers.forEach((key, count) -> {
      Long now = after.activeUsers().get(key);
      if (now == null || !now.equals(count)) {
        problems.add(ResultTable.ACTIVE_USERS.tableName() + " " + key + ": final window changed " + count + " -> " + now);
      }
    });
    if (after.finalSessions() < finalSessions) {
      problems.add(ResultTable.USER_SESSIONS.tableName() + ": final sessions went from " + finalSessions + " to " + after.finalSessions());
    }
    if (after.totalRows() <= totalRows) {
      problems.add("results stopped growing: " + totalRows + " rows before, " + after.totalRows() + " after");
    }
    return problems;
  }
}
