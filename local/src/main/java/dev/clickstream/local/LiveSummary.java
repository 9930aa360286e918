package dev.clickstream.local;

import dev.clickstream.contract.ResultTable;
import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.sink.LakeTable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * The compact status the local run prints every 10 s: per query the last micro-batch (input rows, duration),
 * the top 5 pages of the latest closed minute, active users of the latest window, sessions by status, the top 5
 * products (views, add_to_carts, purchases) of the latest closed minute, the revenue per currency of the latest
 * closed 10 minutes, the funnel rates of the latest 10-minute window, the dead-letter count and the lake table's
 * version, rows, files and bytes as its Delta log states them. Reads what a user could read with psql and a
 * Kafka consumer; a part that cannot be read yet shows {@code -}.
 */
final class LiveSummary {
  private final SparkSession spark;
  private final DatabaseConfig db;
  private final Admin admin;
  private final String dlqTopic;
  private final LakeTable lake;
  /** the lake line and the Delta version it was read at */
  private String lakeLine = "-";
  private long lakeVersion = -2;

  LiveSummary(SparkSession spark, DatabaseConfig db, Admin admin, String dlqTopic, LakeTable lake) {
    this.spark = spark;
    this.db = db;
    this.admin = admin;
    this.dlqTopic = dlqTopic;
    this.lake = lake;
  }

  /** @return the summary, several lines */
  String render() {
    StringBuilder out = new StringBuilder();
    out.append("---- ").append(java.time.LocalTime.now().withNano(0)).append(" ----\n");
    Map<String, String> batches = new TreeMap<>();
    for (StreamingQuery q : spark.streams().active()) {
      StreamingQueryProgress p = q.lastProgress();
      batches.put(q.name(), p == null ? "starting" : String.format("batch %d: %d rows in %d ms", p.batchId(),
          p.numInputRows(), p.durationMs().getOrDefault("triggerExecution", 0L)));
    }
    batches.forEach((name, text) -> out.append(String.format("  %-17s %s%n", name, text)));
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      out.append("  top pages (latest closed minute): ").append(topPages(s)).append('\n');
      out.append("  active users (latest 5-min window): ")
          .append(single(s, "SELECT active_user_count FROM " + ResultTable.ACTIVE_USERS + " ORDER BY window_start DESC LIMIT 1")).append('\n');
      out.append("  sessions: ").append(sessions(s)).append('\n');
      out.append("  top products (latest closed minute, views/carts/purchases): ").append(topProducts(s)).append('\n');
      out.append("  revenue (latest closed 10 minutes): ").append(revenue(s)).append('\n');
      out.append("  funnel (latest 10 minutes): ").append(funnel(s)).append('\n');
    } catch (SQLException e) {
      out.append("  postgres: ").append(e.getMessage().lines().findFirst().orElse("")).append('\n');
    }
    out.append("  dead letters: ").append(deadLetters()).append('\n');
    out.append("  lake: ").append(lake()).append('\n');
    return out.toString();
  }

  private static String topPages(Statement s) throws SQLException {
    List<String> pages = new ArrayList<>();
    try (ResultSet rs = s.executeQuery(closedWindow(ResultTable.PAGE_VIEW_COUNTS.tableName(), ResultTable.PAGE_VIEW_COUNTS.tableName())
        + "SELECT page_url, view_count FROM " + ResultTable.PAGE_VIEW_COUNTS + ", closed WHERE window_start = closed.w "
        + "ORDER BY view_count DESC, page_url LIMIT 5")) {
      while (rs.next()) {
        pages.add(rs.getString(1) + "=" + rs.getLong(2));
      }
    }
    return pages.isEmpty() ? "-" : String.join(" ", pages);
  }

  /**
   * A {@code WITH closed AS (...)} clause: {@code closed.w} is the start of the latest window of {@code table} that
   * the watermark (2 min) has passed. The watermark is approximated by the newest window end of {@code clock}, a
   * table of 1-minute windows (about the newest event time), minus 2 minutes; the newest end of a table of
   * 10-minute windows would not do, as it lies up to 10 minutes after the newest event.
   */
  private static String closedWindow(String table, String clock) {
    return "WITH closed AS (SELECT max(window_start) AS w FROM " + table + " WHERE window_end <= "
        + "(SELECT max(window_end) FROM " + clock + ") - interval '2 minutes') ";
  }

  private static String topProducts(Statement s) throws SQLException {
    List<String> products = new ArrayList<>();
    try (ResultSet rs = s.executeQuery(closedWindow(ResultTable.PRODUCT_ACTIVITY.tableName(), ResultTable.PRODUCT_ACTIVITY.tableName()) + "SELECT product_id, views, add_to_carts, purchases "
        + "FROM " + ResultTable.PRODUCT_ACTIVITY + ", closed WHERE window_start = closed.w ORDER BY views DESC, purchases DESC, product_id LIMIT 5")) {
      while (rs.next()) {
        products.add(rs.getString(1) + "=" + rs.getLong(2) + "/" + rs.getLong(3) + "/" + rs.getLong(4));
      }
    }
    return products.isEmpty() ? "-" : String.join(" ", products);
  }

  private static String revenue(Statement s) throws SQLException {
    List<String> totals = new ArrayList<>();
    try (ResultSet rs = s.executeQuery(closedWindow(ResultTable.CATEGORY_REVENUE.tableName(), ResultTable.PRODUCT_ACTIVITY.tableName()) + "SELECT currency, sum(orders), sum(revenue) "
        + "FROM " + ResultTable.CATEGORY_REVENUE + ", closed WHERE window_start = closed.w GROUP BY currency ORDER BY currency")) {
      while (rs.next()) {
        totals.add(rs.getBigDecimal(3).toPlainString() + " " + rs.getString(1) + " (" + rs.getLong(2) + " orders)");
      }
    }
    return totals.isEmpty() ? "-" : String.join(", ", totals);
  }

  private static String funnel(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SELECT viewers, cart_users, buyers, view_to_cart, cart_to_purchase "
        + "FROM " + ResultTable.CONVERSION_FUNNEL + " ORDER BY window_start DESC LIMIT 1")) {
      if (!rs.next()) {
        return "-";
      }
      return String.format("viewers %d, cart %d, buyers %d; view->cart %s, cart->purchase %s", rs.getLong(1), rs.getLong(2),
          rs.getLong(3), percent(rs.getBigDecimal(4)), percent(rs.getBigDecimal(5)));
    }
  }

  private static String percent(java.math.BigDecimal rate) {
    return rate == null ? "-" : rate.movePointRight(2).stripTrailingZeros().toPlainString() + "%";
  }

  private static String single(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : "-";
    }
  }

  private static String sessions(Statement s) throws SQLException {
    Map<String, Long> byStatus = new TreeMap<>(Map.of("active", 0L, "ended", 0L, "timed_out", 0L));
    try (ResultSet rs = s.executeQuery("SELECT status, count(*) FROM " + ResultTable.USER_SESSIONS + " GROUP BY status")) {
      while (rs.next()) {
        byStatus.put(rs.getString(1), rs.getLong(2));
      }
    }
    return String.format("active %d, ended %d, timed out %d", byStatus.get("active"), byStatus.get("ended"), byStatus.get("timed_out"));
  }

  private String deadLetters() {
    try {
      var partitions = admin.describeTopics(List.of(dlqTopic)).allTopicNames().get(5, TimeUnit.SECONDS)
          .get(dlqTopic).partitions();
      Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
      partitions.forEach(p -> latest.put(new TopicPartition(dlqTopic, p.partition()), OffsetSpec.latest()));
      long total = 0;
      for (var info : admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS).values()) {
        total += info.offset();
      }
      return String.valueOf(total);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "-";
    } catch (ExecutionException | TimeoutException e) {
      return "-";
    }
  }

  /**
   * The lake line, read again only when the Delta log has a new commit (once per LAKE_TRIGGER_INTERVAL): reading
   * the table's stats runs Spark jobs, which every 10 s would cost the laptop more than the lake query itself.
   */
  private String lake() {
    long version = latestCommit();
    if (version == lakeVersion) {
      return lakeLine;
    }
    try {
      LakeTable.Stats stats = lake.stats(spark);
      lakeLine = String.format("version %d, %,d rows in %d files, %,d bytes", stats.version(), stats.rows(), stats.files(),
          stats.bytes());
      lakeVersion = version;
    } catch (Exception e) { // not created yet (Delta's AnalysisException, thrown undeclared), or a raced commit
      lakeLine = "-";
    }
    return lakeLine;
  }

  /** @return the newest commit's version in the table's {@code _delta_log} ({@code <version>.json}), -1 for none */
  private long latestCommit() {
    try (var files = java.nio.file.Files.list(java.nio.file.Path.of(lake.path(), "_delta_log"))) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("\\d+\\.json"))
          .mapToLong(n -> Long.parseLong(n.substring(0, n.length() - 5))).max().orElse(-1);
    } catch (java.io.IOException e) {
      return -1;
    }
  }

}
