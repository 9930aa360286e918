package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {
  private static void write(Path checkpoint, String dir, long batch, String text) throws Exception {
    Files.createDirectories(checkpoint.resolve(dir));
    Files.writeString(checkpoint.resolve(dir).resolve(String.valueOf(batch)), text);
  }

  @Test
  void theLastCommittedOffsetsAreThoseOfTheNewestBatchWithACommit(@TempDir Path dir) throws Exception {
    Path lake = dir.resolve("lake");
    write(lake, "offsets", 0, "v1\n{}\n{\"user_activity\":{\"0\":10,\"1\":12}}\n");
    write(lake, "offsets", 1, "v1\n{}\n{\"user_activity\":{\"0\":20,\"1\":22}}\n");
    write(lake, "offsets", 2, "v1\n{}\n{\"user_activity\":{\"0\":30,\"1\":32}}\n"); // planned, never committed
    write(lake, "commits", 0, "v1\n{}\n");
    write(lake, "commits", 1, "v1\n{}\n");
    assertThat(Checkpoints.lastCommittedOffsets(lake)).hasValue("{\"user_activity\":{\"0\":20,\"1\":22}}");
    assertThat(Checkpoints.lastCommittedOffsets(dir.resolve("none"))).isEmpty();
  }

  @Test
  void kafkaOffsetsAreToldFromDeltaOffsets(@TempDir Path dir) throws Exception {
    Path kafka = dir.resolve("a");
    write(kafka, "offsets", 3, "v1\n{}\n{\"user_activity\":{\"0\":10}}\n");
    Path delta = dir.resolve("b");
    write(delta, "offsets", 3, "v1\n{}\n{\"sourceVersion\":1,\"reservoirId\":\"r\",\"reservoirVersion\":4,\"index\":-1,\"isStartingVersion\":false}\n");
    assertThat(Checkpoints.readsDelta(kafka)).isFalse();
    assertThat(Checkpoints.readsDelta(delta)).isTrue();
    assertThat(Checkpoints.readsDelta(dir.resolve("fresh"))).isFalse();
  }

  @Test
  void theWatermarkIsThatOfTheNewestCommittedMicroBatch(@TempDir Path dir) throws Exception {
    Path analytics = dir.resolve("analytics");
    assertThat(Checkpoints.watermarkMs(analytics)).as("fresh").isEmpty();
    write(analytics, "offsets", 0, "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":1}\n{\"user_activity\":{\"0\":10}}\n");
    write(analytics, "commits", 0, "v1\n{}\n");
    assertThat(Checkpoints.watermarkMs(analytics)).as("no event yet").isEmpty();
    write(analytics, "offsets", 1, "v1\n{\"batchWatermarkMs\":1700000000000,\"batchTimestampMs\":2}\n{\"user_activity\":{\"0\":20}}\n");
    write(analytics, "offsets", 2, "v1\n{\"batchWatermarkMs\":1800000000000,\"batchTimestampMs\":3}\n{\"user_activity\":{\"0\":30}}\n");
    write(analytics, "commits", 1, "v1\n{}\n");
    assertThat(Checkpoints.watermarkMs(analytics)).as("batch 2 is planned, not committed").hasValue(1_700_000_000_000L);
  }
}
