package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.sink.SchemaMigrations;
import dev.clickstream.testkit.FreePorts;
import dev.clickstream.testkit.PostgresExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SchemaMigrationsTest {
  @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

  @Test
  void createsTheDesignTablesOnceAndIsIdempotent() throws Exception {
    DatabaseConfig db = new DatabaseConfig(PG.jdbcUrl(), PG.user(), PG.password());
    assertThat(SchemaMigrations.migrate(db, Duration.ofSeconds(10))).isEqualTo(2);
    assertThat(SchemaMigrations.migrate(db, Duration.ofSeconds(10))).isZero();
    List<String> columns = new ArrayList<>();
    Results.query(PG.jdbcUrl(), PG.user(), PG.password(), "SELECT table_name || '.' || column_name || ':' || data_type "
        + "FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'flyway%' "
        + "ORDER BY table_name, ordinal_position", rs -> columns.add(rs.getString(1)));
    assertThat(columns).contains(
        "page_view_counts.window_start:timestamp with time zone", "page_view_counts.view_count:bigint",
        "active_users.active_user_count:bigint", "user_sessions.session_end:timestamp with time zone",
        "user_sessions.status:text", "user_sessions.updated_at:timestamp with time zone",
        "category_revenue.revenue:numeric", "conversion_funnel.view_to_cart:numeric", "product_activity.views:bigint",
        "traffic_by_segment.users:bigint");
  }

  @Test
  void unreachablePostgresIsOneLineNamingTheUrlButNotThePassword() {
    String url = "jdbc:postgresql://127.0.0.1:" + FreePorts.next() + "/clickstream";
    assertThatThrownBy(() -> SchemaMigrations.migrate(new DatabaseConfig(url, "u", "hunter2"), Duration.ofSeconds(3)))
        .isInstanceOf(SchemaMigrations.StartupException.class)
        .hasMessageStartingWith("postgres at " + url + " unreachable after 3 s")
        .hasMessageNotContaining("hunter2")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }
}
