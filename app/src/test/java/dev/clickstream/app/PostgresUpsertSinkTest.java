package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.app.sink.PostgresUpsertSink;
import java.util.List;
import org.junit.jupiter.api.Test;

class PostgresUpsertSinkTest {
  @Test
  void upsertWritesAbsoluteValuesKeyedByThePrimaryKey() throws Exception {
    var method = PostgresUpsertSink.class.getDeclaredMethod("upsertSql", String.class, List.class, List.class);
    method.setAccessible(true);
    String sql = (String) method.invoke(null, "page_view_counts",
        List.of("window_start", "window_end", "page_url", "view_count"), List.of("window_start", "page_url"));
    assertThat(sql).isEqualTo("INSERT INTO page_view_counts (window_start, window_end, page_url, view_count, updated_at) "
        + "VALUES (?, ?, ?, ?, now()) ON CONFLICT (window_start, page_url) DO UPDATE SET window_end = EXCLUDED.window_end, "
        + "view_count = EXCLUDED.view_count, updated_at = now()");
  }
}
