package dev.clickstream.app;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.clickstream.app.analytics.ClosedRange;
import dev.clickstream.app.analytics.UserSessions;
import dev.clickstream.app.analytics.WindowedAnalytics;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.app.sink.AnalyticsSink;
import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.sink.PostgresUpsertSink;
import dev.clickstream.contract.StartupFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.spark.sql.Column;
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
 * Rebuilds the results of a closed time range from the lake (DESIGN §4, "Recompute"), as a Spark batch job beside
 * the streaming queries, whose checkpoints and state it leaves alone: after a logic change, or to count the events
 * that the live run dropped as later than the watermark (the lake keeps them).
 *
 * <p>In: {@code --from} and {@code --to}, ISO-8601 instants ({@code 2026-11-23T12:00:00Z}); the pipeline's settings
 * from flags and the environment ({@link Settings}); the lake table; the watermarks of the analytics and
 * user-sessions checkpoints. What it rewrites is the {@link ClosedRange}: every window of the six windowed tables
 * that lies wholly inside {@code [from, to)} and is closed by the analytics query's watermark, upserted with the
 * same aggregation as the live query ({@link WindowedAnalytics#of}, here over a batch of lake rows, so nothing is
 * late); every session that lies wholly inside the range and is closed by the user-sessions watermark: the rows
 * of such sessions are deleted, then the recomputed ones ({@link UserSessions#ofHistory}) inserted (a late event may
 * have moved a session's start, so its old row is not the new one's key). Running it twice leaves the same rows.
 *
 * <p>Out: exit 0 with one line per output (rows written), 2 with one line for a bad flag or setting, a range with
 * nothing closed in it, or a checkpoint without a watermark (the live queries have not run yet), 1 when Postgres
 * stays unreachable.
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
    DatabaseConfig db = ClickstreamPipeline.database(settings);
    try {
      PipelineLauncher.migrate(settings);
    } catch (StartupFailure e) {
      System.err.println("clickstream recompute: " + e.getMessage());
      return e.exitStatus();
    }
    SparkSession spark = PipelineLauncher.session(settings, Map.of());
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
   * @param spark a session configured by {@link ClickstreamPipeline#sessionConfig}
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
    ClosedRange range;
    try {
      range = ClosedRange.of(from, to, watermark(settings, ClickstreamPipeline.ANALYTICS),
          watermark(settings, ClickstreamPipeline.USER_SESSIONS), settings.sessionTimeout());
    } catch (IllegalArgumentException e) {
      throw StartupFailure.badSetting(e.getMessage());
    }
    if (!range.hasWindows() && !range.hasSessions()) {
      throw StartupFailure.badSetting("nothing in [" + from + ", " + to + ") is closed yet: the live "
          + "watermarks close windows up to " + range.windowsTo() + " and sessions up to " + range.sessionsTo());
    }
    if (!Files.isDirectory(Path.of(settings.lakeEventsPath(), "_delta_log"))) {
      throw StartupFailure.badSetting("no lake table at " + settings.lakeEventsPath());
    }
    Dataset<Row> lake = spark.read().format("delta").load(settings.lakeEventsPath());
    List<String> done = new ArrayList<>();
    if (range.hasWindows()) {
      Dataset<Row> windows = WindowedAnalytics.of(between(lake, range.from(), range.windowsTo()))
          .where(col("window_start").geq(lit(Timestamp.from(range.from())))
              .and(col("window_end").leq(lit(Timestamp.from(range.windowsTo())))));
      Map<WindowedAnalytics.Table, Long> written = new AnalyticsSink(db, new PipelineMetrics())
          .write(windows, PostgresUpsertSink.RECOMPUTE_BATCH);
      done.add("windows in [" + range.from() + ", " + range.windowsTo() + "): rows upserted " + written);
    }
    if (range.hasSessions()) {
      Column inRange = col("session_start").geq(lit(Timestamp.from(range.from())))
          .and(col("session_end").lt(lit(Timestamp.from(range.sessionsTo()))));
      Dataset<Row> sessions = UserSessions.ofHistory(between(lake, range.sessionEventsFrom(), range.sessionEventsTo()),
          settings.sessionTimeout(), range.sessionsTo().plus(settings.sessionTimeout()).toEpochMilli()).where(inRange);
      int deleted = deleteSessions(db, range);
      long written = PostgresUpsertSink.userSessions(db, new PipelineMetrics()).write(sessions, PostgresUpsertSink.RECOMPUTE_BATCH);
      done.add("sessions in [" + range.from() + ", " + range.sessionsTo() + "): " + deleted + " rows deleted, "
          + written + " written");
    }
    return done;
  }

  /** Lake rows with from &le; event_time &lt; to, reading only the event_date partitions that can hold them. */
  private static Dataset<Row> between(Dataset<Row> lake, Instant from, Instant to) {
    return lake.where(col("event_date").geq(lit(from.toString().substring(0, 10)))
            .and(col("event_date").leq(lit(to.toString().substring(0, 10)))))
        .where(col("event_time").geq(lit(Timestamp.from(from))).and(col("event_time").lt(lit(Timestamp.from(to)))));
  }

  /** Deletes the final sessions wholly inside the closed range, in one transaction. */
  private static int deleteSessions(DatabaseConfig db, ClosedRange range) throws java.sql.SQLException {
    try (Connection c = db.connect(); PreparedStatement delete = c.prepareStatement("DELETE FROM user_sessions "
        + "WHERE session_start >= ? AND session_end IS NOT NULL AND session_end < ? AND status <> 'active'")) {
      delete.setObject(1, range.from().atOffset(java.time.ZoneOffset.UTC));
      delete.setObject(2, range.sessionsTo().atOffset(java.time.ZoneOffset.UTC));
      return delete.executeUpdate();
    }
  }

  private static Instant watermark(Settings settings, String query) {
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
