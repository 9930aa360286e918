package dev.clickstream.app;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.clickstream.app.analytics.ClosedRange;
import dev.clickstream.app.analytics.UserSessions;
import dev.clickstream.app.analytics.WindowedAnalytics;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.metrics.KafkaLag;
import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.app.sink.AnalyticsSink;
import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.sink.PostgresUpsertSink;
import dev.clickstream.contract.Query;
import dev.clickstream.contract.ResultTable;
import dev.clickstream.contract.StartupFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;
import picocli.CommandLine;

/**
 * Rebuilds the results of a closed time range from the lake (architecture §4, "Recompute"), as a Spark batch job beside
 * the streaming queries, whose checkpoints and state it leaves alone: after a logic change, or to count the events
 * that the live run dropped as later than the watermark (the lake keeps them).
 *
 * <p>In: {@code --from} and {@code --to}, ISO-8601 instants ({@code 2026-11-23T12:00:00Z}); the pipeline's settings
 * from flags and the environment ({@link Settings}); the lake table; the watermarks of the analytics and
 * user-sessions checkpoints and what the lake query has committed. What it rewrites is the {@link ClosedRange}:
 * every window of the six windowed tables that lies wholly inside {@code [from, to)} and is closed by the analytics
 * query's watermark, upserted with the same aggregation as the live query ({@link WindowedAnalytics#of}, here over a
 * batch of lake rows, so nothing is late); every closed session that ends inside the range, rewritten in one
 * transaction with the rows it replaces ({@link #rewriteSessions}: a late event may have moved a session's start,
 * even before {@code from}). It refuses a range whose closed part reaches events the lake has not committed yet
 * ({@link #closedRange}), so it never writes a window or session short. Running it twice leaves the same rows.
 *
 * <p>Out: exit 0 with one line per output (rows written), 2 with one line for a bad flag or setting, a range with
 * nothing closed in it, a checkpoint without a watermark (the live queries have not run yet) or a lake behind the
 * live queries, 1 when Postgres stays unreachable or a write fails (nothing of the sessions' transaction is kept).
 */
@Command(name = "recompute")
public final class Recompute {
  private static final Logger LOG = LoggerFactory.getLogger(Recompute.class);

  @Option(names = "--from", required = true, description = "start of the range, inclusive (ISO-8601 instant)")
  String from;

  @Option(names = "--to", required = true, description = "end of the range, exclusive (ISO-8601 instant)")
  String to;

  @Unmatched
  List<String> settingsFlags = new ArrayList<>();

  /** @param args {@code --from <instant> --to <instant>} and flags of {@link Settings} */
  public static void main(String[] args) {
    System.exit(run(args, System.getenv()));
  }

  /**
   * @param args {@code --from <instant> --to <instant>} and flags of {@link Settings}
   * @param env environment
   * @return exit status: 0, 1 or 2
   */
  public static int run(String[] args, Map<String, String> env) {
    Recompute flags = new Recompute();
    Settings settings;
    Instant from;
    Instant to;
    try {
      new CommandLine(flags).setUnmatchedArgumentsAllowed(true).parseArgs(args);
      settings = Settings.parse(flags.settingsFlags.toArray(new String[0]), env);
      from = instant("--from", flags.from);
      to = instant("--to", flags.to);
    } catch (CommandLine.ParameterException e) {
      System.err.println("clickstream recompute: " + e.getMessage().lines().findFirst().orElse(""));
      return 2;
    } catch (StartupFailure e) {
      System.err.println("clickstream recompute: " + e.getMessage());
      return e.exitStatus();
    }
    DatabaseConfig db = DatabaseConfig.writer(settings);
    try {
      PipelineLauncher.prepareSchema(settings);
    } catch (StartupFailure e) {
      System.err.println("clickstream recompute: " + e.getMessage());
      return e.exitStatus();
    }
    SparkSession spark = SparkSessionConfig.session(settings, Map.of());
    try {
      List<String> written = recompute(spark, settings, db, from, to);
      written.forEach(line -> System.out.println("clickstream recompute: " + line));
      return 0;
    } catch (StartupFailure e) {
      System.err.println("clickstream recompute: " + e.getMessage());
      return e.exitStatus();
    } catch (Exception e) {
      LOG.error("recompute failed", e);
      System.err.println("clickstream recompute: failed: " + e);
      return 1;
    } finally {
      spark.stop();
    }
  }

  /**
   * Rewrites the closed part of {@code [from, to)} (see the class comment).
   *
   * @param spark a session configured by {@link SparkSessionConfig#of}
   * @param settings the pipeline's settings: lake, checkpoints, SESSION_TIMEOUT
   * @param db the results' database
   * @param from the range's start, inclusive
   * @param to the range's end, exclusive
   * @return one line per output: what was rewritten
   * @throws StartupFailure naming a checkpoint without a watermark, a missing lake, or a
   *     range in which nothing is closed
   * @throws Exception what a write throws
   */
  public static List<String> recompute(SparkSession spark, Settings settings, DatabaseConfig db, Instant from, Instant to)
      throws Exception {
    ClosedRange range = closedRange(settings, from, to);
    if (!Files.isDirectory(Path.of(settings.lake().eventsPath(), "_delta_log"))) {
      throw StartupFailure.badSetting("no lake table at " + settings.lake().eventsPath());
    }
    Dataset<Row> lake = spark.read().format("delta").load(settings.lake().eventsPath());
    List<String> done = new ArrayList<>();
    if (range.hasWindows()) {
      Dataset<Row> windows = WindowedAnalytics.of(between(lake, range.from(), range.windowsTo()))
          .where(col("window_start").geq(lit(Timestamp.from(range.from())))
              .and(col("window_end").leq(lit(Timestamp.from(range.windowsTo())))));
      Map<ResultTable, Long> written = new AnalyticsSink(db, new PipelineMetrics())
          .write(windows, PostgresUpsertSink.RECOMPUTE_BATCH);
      done.add("windows in [" + range.from() + ", " + range.windowsTo() + "): rows upserted " + written);
    }
    if (range.hasSessions()) {
      done.add(rewriteSessions(lake, settings, db, range));
    }
    return done;
  }

  /** Lake rows with from &le; event_time &lt; to, reading only the event_date partitions that can hold them. */
  private static Dataset<Row> between(Dataset<Row> lake, Instant from, Instant to) {
    return lake.where(col("event_date").geq(lit(from.toString().substring(0, 10)))
            .and(col("event_date").leq(lit(to.toString().substring(0, 10)))))
        .where(col("event_time").geq(lit(Timestamp.from(from))).and(col("event_time").lt(lit(Timestamp.from(to)))));
  }

  /**
   * The part of {@code [from, to)} that both the live watermarks and the lake close: the live analytics and
   * user-sessions queries may have read further than the lake has committed (it commits once per
   * LAKE_TRIGGER_INTERVAL, and can fall behind in a catch-up), and a window they closed over events the lake does
   * not hold yet would be recomputed short. So each watermark is also taken as it was when its query had read no
   * further than the lake ({@link Checkpoints#watermarkMsWithin}), and the range is refused unless both give it
   * the same closed part.
   *
   * @throws StartupFailure exit 2: a checkpoint without a watermark, nothing closed in the range, or a closed part
   *     that reaches events the lake has not committed (naming the partition and both offsets)
   */
  static ClosedRange closedRange(Settings settings, Instant from, Instant to) {
    Map<TopicPartition, Long> lake = Checkpoints.lastCommittedOffsets(Path.of(settings.checkpointFor(Query.LAKE)))
        .map(KafkaLag::parseOffsets).orElse(Map.of());
    ClosedRange live;
    ClosedRange inLake;
    try {
      live = ClosedRange.of(from, to, watermark(settings, Query.ANALYTICS),
          watermark(settings, Query.USER_SESSIONS), settings.triggers().sessionTimeout());
      inLake = ClosedRange.of(from, to, watermarkWithin(settings, Query.ANALYTICS, lake),
          watermarkWithin(settings, Query.USER_SESSIONS, lake), settings.triggers().sessionTimeout());
    } catch (IllegalArgumentException e) {
      throw StartupFailure.badSetting(e.getMessage());
    }
    if (!live.hasWindows() && !live.hasSessions()) {
      throw StartupFailure.badSetting("nothing in [" + from + ", " + to + ") is closed yet: the live "
          + "watermarks close windows up to " + live.windowsTo() + " and sessions up to " + live.sessionsTo());
    }
    for (Query query : List.of(Query.ANALYTICS, Query.USER_SESSIONS)) {
      boolean behind = query == Query.ANALYTICS
          ? live.windowsTo().isAfter(inLake.windowsTo()) : live.sessionsTo().isAfter(inLake.sessionsTo());
      if (behind) {
        throw StartupFailure.badSetting("the lake has not committed every event the live " + query + " query counted in "
            + "[" + from + ", " + to + "): " + aheadOfLake(settings, query, lake) + "; run again after the lake's next "
            + "commit (LAKE_TRIGGER_INTERVAL), or end the range at "
            + (query == Query.ANALYTICS ? inLake.windowsTo() : inLake.sessionsTo()));
      }
    }
    return live;
  }

  /** @return e.g. {@code user_activity partition 2: lake at offset 1200, analytics at 1500} (the first such partition) */
  private static String aheadOfLake(Settings settings, Query query, Map<TopicPartition, Long> lake) {
    Map<TopicPartition, Long> read = Checkpoints.lastCommittedOffsets(Path.of(settings.checkpointFor(query)))
        .map(KafkaLag::parseOffsets).orElse(Map.of());
    return read.entrySet().stream().filter(e -> e.getValue() > lake.getOrDefault(e.getKey(), 0L))
        .sorted(Map.Entry.comparingByKey(java.util.Comparator.comparing(TopicPartition::toString)))
        .map(e -> e.getKey().topic() + " partition " + e.getKey().partition() + ": lake at offset "
            + lake.getOrDefault(e.getKey(), 0L) + ", " + query + " at " + e.getValue())
        .findFirst().orElse("the lake's offsets are behind the " + query + " checkpoint's");
  }

  /**
   * Rewrites the closed sessions of the range in one transaction: deletes the rows they replace and inserts the
   * recomputed ones, or (on any failure) neither.
   *
   * <p>Which: the recomputed sessions that end inside {@code [from, sessionsTo)}, from the lake's events since
   * {@code from} - 2 x SESSION_TIMEOUT. A late event the live query dropped may have moved a session's start before
   * {@code from}, so a session is rewritten when it ends in the range and starts at most one timeout before it (its
   * start is then certain: the events read begin a whole timeout earlier). Deleted with them: the closed rows that
   * start in the range (as before) and every closed row of the same user that overlaps a rewritten session (the old
   * row of a moved start), but never a row that overlaps a recomputed session that is not rewritten (one starting
   * further back, or one that late events extend past {@code sessionsTo}): such rows are left as they are.
   *
   * @return the line that says what was deleted and written
   */
  private static String rewriteSessions(Dataset<Row> lake, Settings settings, DatabaseConfig db, ClosedRange range)
      throws java.sql.SQLException {
    Duration timeout = settings.triggers().sessionTimeout();
    Instant certainFrom = range.from().minus(timeout);
    List<Row> recomputed = UserSessions.ofHistory(between(lake, certainFrom.minus(timeout), range.sessionEventsTo()),
            timeout, range.sessionsTo().plus(timeout).toEpochMilli())
        .where(col("session_end").geq(lit(Timestamp.from(certainFrom.minus(timeout)))))
        .collectAsList();
    List<Row> rewritten = new ArrayList<>();
    List<Row> uncertain = new ArrayList<>(); // recomputed, but not rewritten: their rows are left as they are
    for (Row r : recomputed) {
      Instant start = r.<Timestamp>getAs("session_start").toInstant();
      Instant end = r.<Timestamp>getAs("session_end").toInstant();
      boolean inRange = !end.isBefore(range.from()) && end.isBefore(range.sessionsTo()) && !start.isBefore(certainFrom)
          && !"active".equals(r.getAs("status"));
      (inRange ? rewritten : uncertain).add(r);
    }
    int[] deleted = new int[1];
    PostgresUpsertSink sink = PostgresUpsertSink.userSessions(db, new PipelineMetrics());
    long written = sink.replace(rewritten, c -> deleted[0] = deleteReplacedSessions(c, range, rewritten, uncertain),
        PostgresUpsertSink.RECOMPUTE_BATCH);
    return "sessions in [" + range.from() + ", " + range.sessionsTo() + "): " + deleted[0] + " rows deleted, " + written
        + " written";
  }

  /** @return rows deleted: see {@link #rewriteSessions} */
  private static int deleteReplacedSessions(Connection c, ClosedRange range, List<Row> rewritten, List<Row> uncertain)
      throws java.sql.SQLException {
    int deleted;
    try (PreparedStatement inRange = c.prepareStatement("DELETE FROM " + ResultTable.USER_SESSIONS + " s WHERE session_start >= ? "
        + "AND session_end IS NOT NULL AND session_end < ? AND status <> 'active' AND NOT EXISTS (SELECT 1 FROM "
        + "unnest(?::text[], ?::timestamptz[], ?::timestamptz[]) AS u(user_id, s, e) "
        + "WHERE u.user_id = s.user_id AND s.session_start <= u.e AND s.session_end >= u.s)")) {
      inRange.setObject(1, range.from().atOffset(ZoneOffset.UTC));
      inRange.setObject(2, range.sessionsTo().atOffset(ZoneOffset.UTC));
      inRange.setArray(3, c.createArrayOf("text", uncertain.stream().map(r -> r.getAs("user_id")).toArray()));
      inRange.setArray(4, c.createArrayOf("timestamptz", uncertain.stream().map(r -> utc(r, "session_start")).toArray()));
      inRange.setArray(5, c.createArrayOf("timestamptz", uncertain.stream().map(r -> utc(r, "session_end")).toArray()));
      deleted = inRange.executeUpdate();
    }
    try (PreparedStatement overlapping = c.prepareStatement("DELETE FROM " + ResultTable.USER_SESSIONS + " WHERE user_id = ? "
        + "AND session_end IS NOT NULL AND status <> 'active' AND session_start <= ? AND session_end >= ?")) {
      for (Row r : rewritten) {
        overlapping.setString(1, r.getAs("user_id"));
        overlapping.setObject(2, utc(r, "session_end"));
        overlapping.setObject(3, utc(r, "session_start"));
        deleted += overlapping.executeUpdate();
      }
    }
    return deleted;
  }

  private static java.time.OffsetDateTime utc(Row r, String column) {
    return r.<Timestamp>getAs(column).toInstant().atOffset(ZoneOffset.UTC);
  }

  private static Instant watermarkWithin(Settings settings, Query query, Map<TopicPartition, Long> lake) {
    OptionalLong ms = Checkpoints.watermarkMsWithin(Path.of(settings.checkpointFor(query)), lake);
    return ms.isEmpty() ? Instant.EPOCH : Instant.ofEpochMilli(ms.getAsLong());
  }

  private static Instant watermark(Settings settings, Query query) {
    Path checkpoint = Path.of(settings.checkpointFor(query));
    OptionalLong ms = Checkpoints.watermarkMs(checkpoint);
    if (ms.isEmpty()) {
      throw StartupFailure.badSetting("checkpoint " + checkpoint + " has no watermark yet: the live "
          + query + " query has not processed events, so nothing is closed");
    }
    return Instant.ofEpochMilli(ms.getAsLong());
  }

  private static Instant instant(String flag, String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw StartupFailure.badSetting(flag + ": '" + text + "' is not an ISO-8601 instant (e.g. 2026-11-23T12:00:00Z)");
    }
  }
}
