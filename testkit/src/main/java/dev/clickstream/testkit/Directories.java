package dev.clickstream.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/** File-system helpers for fixture data directories. */
public final class Directories {
  private Directories() {}

  /**
   * Deletes a directory tree; a missing directory is not an error. A file that appears while the tree is deleted
   * (a stopped query's state store still uploading a RocksDB snapshot from Spark's maintenance thread) makes its
   * directory non-empty, and one that disappears fails the walk: the tree is walked again, every 200 ms for up to
   * 1 s.
   *
   * @param dir the directory
   * @throws UncheckedIOException when a file cannot be deleted
   * @throws org.awaitility.core.ConditionTimeoutException when files still appear in the tree after 1 s
   */
  public static void deleteRecursively(Path dir) {
    await("deletion of " + dir).atMost(Duration.ofSeconds(1)).pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(200)).until(() -> deletedOnce(dir));
  }

  /** One walk: true when the tree is gone, false when it changed under the walk. */
  private static boolean deletedOnce(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
      return true;
    } catch (NoSuchFileException e) {
      return !Files.exists(dir); // the tree, or a file in it, went away under the walk
    } catch (DirectoryNotEmptyException e) {
      return false;
    } catch (UncheckedIOException e) {
      if (e.getCause() instanceof NoSuchFileException) {
        return false;
      }
      throw new UncheckedIOException("cannot delete " + dir, e.getCause());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
