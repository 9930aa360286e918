package dev.clickstream.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The drill's before/after comparison on the real schema (the app's Flyway migrations) in embedded Postgres. */
class ResultSnapshotTest {
  @RegisterExtension static final PostgresExtension PG = new PostgresExtension();
  private static final Duration WATERMARK = Duration.ofMinutes(2);

  @BeforeEach
  void schemaWithTwentyMinutesOfResults() throws Exception {
    Flyway.configure().dataSource(PG.jdbcUrl(), PG.user(), PG.password())
        .locations("filesystem:../app/src/main/resources/db/migration").cleanDisabled(false).load().clean();
    Flyway.configure().dataSource(PG.jdbcUrl(), PG.user(), PG.password())
        .locations("filesystem:../app/src/main/resources/db/migration").load().migrate();
    try (Connection c = connect(); Statement s = c.createStatement()) {
      for (int minute = 0; minute < 20; minute++) {
        s.execute("INSERT INTO page_view_counts VALUES (timestamptz '2026-11-23 12:00Z' + interval '" + minute + " minutes', "
            + "timestamptz '2026-11-23 12:01Z' + interval '" + minute + " minutes', '/cart', " + (10 + minute) + ", now())");
        s.execute("INSERT INTO active_users VALUES (timestamptz '2026-11-23 11:56Z' + interval '" + minute + " minutes', "
            + "timestamptz '2026-11-23 12:01Z' + interval '" + minute + " minutes', " + (100 + minute) + ", now())");
      }
      s.execute("INSERT INTO user_sessions VALUES ('u1', '2026-11-23 12:00Z', '2026-11-23 12:05Z', 300, 5, 3, 'ended', now()),"
          + " ('u2', '2026-11-23 12:10Z', null, 60, 2, 1, 'active', now())");
    }
  }

  private static Connection connect() throws Exception {
    return DriverManager.getConnection(PG.jdbcUrl(), PG.user(), PG.password());
  }

  private static void sql(String statement) throws Exception {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private static ResultSnapshot snapshot() throws Exception {
    try (Connection c = connect()) {
      return ResultSnapshot.take(c, WATERMARK);
    }
  }

  @Test
  void onlyWindowsBehindTheWatermarkAreFinal() throws Exception {
    ResultSnapshot s = snapshot();
    // newest end 12:20; final = ended at least 2 + 5 minutes before it
    assertThat(s.pageViews()).hasSize(13).containsKey("2026-11-23T12:12:00Z /cart").doesNotContainKey("2026-11-23T12:13:00Z /cart");
    assertThat(s.finalSessions()).isEqualTo(1);
  }

  @Test
  void recoveryThatOnlyAddsAndUpdatesOpenWindowsPasses() throws Exception {
    ResultSnapshot before = snapshot();
    sql("UPDATE page_view_counts SET view_count = view_count + 5 WHERE window_start = '2026-11-23 12:19Z'");
    sql("INSERT INTO page_view_counts VALUES ('2026-11-23 12:20Z', '2026-11-23 12:21Z', '/cart', 3, now())");
    sql("UPDATE user_sessions SET status = 'timed_out', session_end = '2026-11-23 12:11Z' WHERE user_id = 'u2'");
    assertThat(before.violationsIn(snapshot())).isEmpty();
  }

  @Test
  void aDoubleCountedFinalWindowFailsTheDrill() throws Exception {
    ResultSnapshot before = snapshot();
    sql("UPDATE page_view_counts SET view_count = view_count * 2 WHERE window_start = '2026-11-23 12:05Z'");
    sql("INSERT INTO page_view_counts VALUES ('2026-11-23 12:20Z', '2026-11-23 12:21Z', '/cart', 3, now())");
    assertThat(before.violationsIn(snapshot()))
        .containsExactly("page_view_counts 2026-11-23T12:05:00Z /cart: final window changed 15 -> 30 (double counted)");
  }

  @Test
  void lostSessionsAndStalledResultsFailTheDrill() throws Exception {
    ResultSnapshot before = snapshot();
    sql("DELETE FROM user_sessions WHERE user_id = 'u1'");
    assertThat(before.violationsIn(snapshot())).containsExactly(
        "user_sessions: final sessions went from 1 to 0", "results stopped growing: 42 rows before, 41 after");
  }
}
