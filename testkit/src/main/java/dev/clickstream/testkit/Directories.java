package dev.clickstream.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** File-system helpers for fixture data directories. */
public final class Directories {
  private Directories() {}

  /** Walks of a tree whose files keep appearing before giving up (see {@link #deleteRecursively}). */
  static final int ATTEMPTS = 5;

  /**
   * Deletes a directory tree; a missing directory is not an error. A file that appears while the tree is deleted
   * (a stopped query's state store still uploading a RocksDB snapshot from Spark's maintenance thread) makes its
   * directory non-empty: the tree is walked again, up to {@value #ATTEMPTS} times, 200 ms apart.
   *
   * @param dir the directory
   * @throws UncheckedIOException when a file cannot be deleted, or the tree is still not empty after the last walk
   */
  public static void deleteRecursively(Path dir) {
    for (int attempt = 1; Files.exists(dir); attempt++) {
      try (Stream<Path> paths = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
          Files.deleteIfExists(p);
        }
      } catch (DirectoryNotEmptyException | UncheckedIOException e) {
        if (attempt == ATTEMPTS) {
          throw new UncheckedIOException("cannot delete " + dir + ": files keep appearing in it",
              e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
        }
        pause();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + dir, e);
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while deleting a directory tree", e);
    }
  }
}
