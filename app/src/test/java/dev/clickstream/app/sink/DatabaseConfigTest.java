package dev.clickstream.app.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link DatabaseConfig}'s pool: one connection per task slot of the JVM, so no writer task waits for one. */
class DatabaseConfigTest {
  @Test
  void thePoolHasAConnectionPerTaskSlotOfTheJvmAndAtLeastTwo() {
    assertThat(DatabaseConfig.poolSize(Map.of("spark.master", "local[6]"), 2))
        .as("make run: 6 slots on 2 cores, each may write at once").isEqualTo(6);
    assertThat(DatabaseConfig.poolSize(Map.of("spark.master", "k8s://x", "spark.executor.cores", "6"), 2)).isEqualTo(6);
    assertThat(DatabaseConfig.poolSize(Map.of("spark.master", "local[1]"), 8)).isEqualTo(2);
  }
}
