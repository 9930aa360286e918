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
  void aCheckpointIsFreshUntilAMicroBatchIsPlanned(@TempDir Path dir) throws Exception {
    Path checkpoint = dir.resolve("ingest");
    assertThat(Checkpoints.isFresh(checkpoint)).isTrue();
    Files.createDirectories(checkpoint.resolve("offsets"));
    Files.writeString(checkpoint.resolve("metadata"), "{\"id\":\"q\"}");
    assertThat(Checkpoints.isFresh(checkpoint)).isTrue();
    write(checkpoint, "offsets", 0, "v1\n{}\n{\"user_activity\":{\"0\":10}}\n");
    assertThat(Checkpoints.isFresh(checkpoint)).isFalse();
  }

  @Test
  void theLastCommittedOffsetsAreThoseOfTheNewestBatchWithACommit(@TempDir Path dir) throws Exception {
    Path rawLake = dir.resolve("raw-lake");
    write(rawLake, "offsets", 0, "v1\n{}\n{\"user_activity\":{\"0\":10,\"1\":12}}\n");
    write(rawLake, "offsets", 1, "v1\n{}\n{\"user_activity\":{\"0\":20,\"1\":22}}\n");
    write(rawLake, "offsets", 2, "v1\n{}\n{\"user_activity\":{\"0\":30,\"1\":32}}\n"); // planned, never committed
    write(rawLake, "commits", 0, "v1\n{}\n");
    write(rawLake, "commits", 1, "v1\n{}\n");
    assertThat(Checkpoints.lastCommittedOffsets(rawLake)).hasValue("{\"user_activity\":{\"0\":20,\"1\":22}}");
    assertThat(Checkpoints.lastCommittedOffsets(dir.resolve("none"))).isEmpty();
  }

  @Test
  void kafkaOffsetsAreToldFromDeltaOffsets(@TempDir Path dir) throws Exception {
    Path kafka = dir.resolve("a");
    write(kafka, "offsets", 3, "v1\n{}\n{\"user_activity\":{\"0\":10}}\n");
    Path delta = dir.resolve("b");
    write(delta, "offsets", 3, "v1\n{}\n{\"sourceVersion\":1,\"reservoirId\":\"r\",\"reservoirVersion\":4,\"index\":-1,\"isStartingVersion\":false}\n");
    assertThat(Checkpoints.readsKafka(kafka)).isTrue();
    assertThat(Checkpoints.readsKafka(delta)).isFalse();
    assertThat(Checkpoints.readsKafka(dir.resolve("fresh"))).isFalse();
  }
}
