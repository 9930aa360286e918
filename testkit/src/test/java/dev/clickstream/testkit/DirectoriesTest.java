package dev.clickstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoriesTest {
  @TempDir
  Path tmp;

  @Test
  void deletesATreeAndIgnoresAMissingOne() throws IOException {
    Path tree = tmp.resolve("tree");
    Files.createDirectories(tree.resolve("a/b"));
    Files.writeString(tree.resolve("a/b/f"), "x");
    Files.writeString(tree.resolve("g"), "y");

    Directories.deleteRecursively(tree);
    Directories.deleteRecursively(tree);

    assertThat(tree).doesNotExist();
  }

  /** What a stopped query's state store does while a benchmark deletes the run's checkpoints. */
  @Test
  void deletesATreeInWhichFilesKeepAppearing() throws Exception {
    Path tree = tmp.resolve("checkpoints");
    Path sst = tree.resolve("state/0/0/SSTs");
    Files.createDirectories(sst);
    AtomicInteger written = new AtomicInteger();
    Thread writer = new Thread(() -> {
      long until = System.nanoTime() + 300_000_000L;
      try {
        while (System.nanoTime() < until) {
          Files.createFile(sst.resolve(written.incrementAndGet() + ".sst")); // fails once SSTs is gone
        }
      } catch (IOException gone) {
        // the tree was deleted under the writer: what the test waits for
      }
    });
    writer.start();
    while (written.get() < 10) {
      Thread.onSpinWait();
    }

    Directories.deleteRecursively(tree);
    writer.join();

    assertThat(written.get()).isGreaterThan(10);
    assertThat(tree).doesNotExist();
  }
}
