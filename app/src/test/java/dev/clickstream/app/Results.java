package dev.clickstream.app;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** What a user sees after a run: table rows and topic records, read with plain clients. */
public final class Results {
  /**
   * An exit status and the lines printed on stderr while it was computed.
   *
   * @param status the exit status
   * @param stderr the lines
   */
  record Exit(int status, List<String> stderr) {}

  /**
   * @param run returns an exit status (the pipeline's {@code run} or {@code runUntilDone})
   * @return it, with what it printed on stderr
   */
  static Exit capturingStderr(java.util.function.IntSupplier run) {
    var err = new java.io.ByteArrayOutputStream();
    var old = System.err;
    System.setErr(new java.io.PrintStream(err, true));
    try {
      int status = run.getAsInt();
      return new Exit(status, err.toString().lines().toList());
    } finally {
      System.setErr(old);
    }
  }

  private Results() {}

  static Map<String, Long> pageViewCounts(String jdbcUrl, String user, String password) throws SQLException {
    Map<String, Long> rows = new TreeMap<>();
    query(jdbcUrl, user, password, "SELECT window_start, window_end, page_url, view_count FROM page_view_counts", rs -> {
      Instant start = rs.getObject(1, OffsetDateTime.class).toInstant();
      Instant end = rs.getObject(2, OffsetDateTime.class).toInstant();
      if (!end.equals(start.plusSeconds(60))) {
        throw new AssertionError("page_view_counts window " + start + " ends at " + end);
      }
      rows.put(Oracle.pageKey(start, rs.getString(3)), rs.getLong(4));
    });
    return rows;
  }

  static Map<Instant, Long> activeUsers(String jdbcUrl, String user, String password) throws SQLException {
    Map<Instant, Long> rows = new TreeMap<>();
    query(jdbcUrl, user, password, "SELECT window_start, window_end, active_user_count FROM active_users", rs -> {
      Instant start = rs.getObject(1, OffsetDateTime.class).toInstant();
      Instant end = rs.getObject(2, OffsetDateTime.class).toInstant();
      if (!end.equals(Oracle.activeUsersEnd(start))) {
        throw new AssertionError("active_users window " + start + " ends at " + end);
      }
      rows.put(start, rs.getLong(3));
    });
    return rows;
  }

  static Map<String, String> userSessions(String jdbcUrl, String user, String password) throws SQLException {
    Map<String, String> rows = new TreeMap<>();
    query(jdbcUrl, user, password, "SELECT user_id, session_start, session_end, event_count, page_view_count, "
        + "duration_seconds, status FROM user_sessions", rs -> {
      OffsetDateTime end = rs.getObject(3, OffsetDateTime.class);
      rows.put(Oracle.sessionKey(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant()),
          Oracle.sessionValue(end == null ? null : end.toInstant(), rs.getLong(4), rs.getLong(5), rs.getDouble(6), rs.getString(7)));
    });
    return rows;
  }

  /** The four commerce tables of the analytics query. */
  static final List<dev.clickstream.contract.ResultTable> COMMERCE_TABLES = List.of(
      dev.clickstream.contract.ResultTable.PRODUCT_ACTIVITY,
      dev.clickstream.contract.ResultTable.CATEGORY_REVENUE,
      dev.clickstream.contract.ResultTable.CONVERSION_FUNNEL,
      dev.clickstream.contract.ResultTable.TRAFFIC_BY_SEGMENT);

  /**
   * @return the rows of the four commerce tables in {@link Oracle.Commerce#rows()}'s form
   */
  static Map<String, String> commerce(String jdbcUrl, String user, String password) throws SQLException {
    Map<String, String> rows = new TreeMap<>();
    for (var table : COMMERCE_TABLES) {
      List<String> columns = table.columns();
      List<String> key = table.key();
      query(jdbcUrl, user, password, "SELECT " + String.join(", ", columns) + " FROM " + table.tableName(), rs -> {
        StringBuilder k = new StringBuilder(table.tableName());
        StringBuilder v = new StringBuilder();
        String end = null;
        for (int i = 0; i < columns.size(); i++) {
          Object o = columns.get(i).startsWith("window_") ? rs.getObject(i + 1, OffsetDateTime.class) : rs.getObject(i + 1);
          String text = o instanceof OffsetDateTime odt ? odt.toInstant().toString()
              : o instanceof java.math.BigDecimal d ? d.toPlainString() : String.valueOf(o);
          if (key.contains(columns.get(i))) {
            k.append(' ').append(text);
          } else if (columns.get(i).equals("window_end")) {
            end = text;
          } else {
            v.append(v.isEmpty() ? "" : " ").append(text);
          }
        }
        k.append(" | ").append(end);
        rows.put(k.toString(), v.toString());
      });
    }
    return rows;
  }

  static void execute(String jdbcUrl, String user, String password, String... statements) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl, user, password); Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /** Reads one row of a result set. */
  public interface RowReader {
    /**
     * @param rs the result set, on a row
     * @throws SQLException from the JDBC driver
     */
    void read(ResultSet rs) throws SQLException;
  }

  /**
   * Runs a query and hands each row to {@code reader}.
   *
   * @param jdbcUrl database URL
   * @param user role
   * @param password its password
   * @param sql the query
   * @param reader called once per row
   * @throws SQLException from the JDBC driver
   */
  public static void query(String jdbcUrl, String user, String password, String sql, RowReader reader) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl, user, password); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        reader.read(rs);
      }
    }
  }

  /** Reads a topic from the beginning until two polls in a row bring nothing. */
  static List<ConsumerRecord<String, String>> consumeAll(String bootstrap, String topic) {
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (var consumer = new KafkaConsumer<String, String>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "results-" + topic + "-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000), new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 60_000;
      int empty = 0;
      while (empty < 3 && System.currentTimeMillis() < deadline) {
        var batch = consumer.poll(Duration.ofMillis(1_000));
        empty = batch.isEmpty() && !consumer.assignment().isEmpty() ? empty + 1 : 0;
        batch.forEach(records::add);
      }
    }
    return records;
  }
}
