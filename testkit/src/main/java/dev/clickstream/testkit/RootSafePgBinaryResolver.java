package dev.clickstream.testkit;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;

/**
 * Serves zonky's PostgreSQL binaries so that they also start when this JVM runs as root.
 *
 * <p>{@code initdb}, {@code postgres} and {@code pg_ctl} refuse to run as root. When the effective user is
 * root, this resolver rewrites the archive once (cached under {@code java.io.tmpdir}): each of the three
 * binaries becomes {@code <name>.real} and {@code <name>} a shell script that re-executes it in a new user
 * namespace ({@code unshare -U}). Inside it the server sees the unprivileged overflow uid, while on the host
 * it still owns its root-created files (architecture §8). Where user namespaces are blocked (for example inside a
 * default Docker container) the server fails to start; run the tests as a non-root user there.
 * For any other user the archive is served unchanged.
 */
public final class RootSafePgBinaryResolver implements PgBinaryResolver {
  private static final Set<String> WRAPPED = Set.of("bin/initdb", "bin/postgres", "bin/pg_ctl");
  private static final String WRAPPER = """
      #!/bin/sh
      # PostgreSQL refuses to run as root: give it a user namespace in which it is not (clickstream testkit).
      if [ "$(id -u)" = 0 ]; then exec unshare -U "$0.real" "$@"; fi
      exec "$0.real" "$@"
      """;

  private final PgBinaryResolver delegate = DefaultPostgresBinaryResolver.INSTANCE;

  /**
   * @param system operating system name as zonky passes it (e.g. {@code Linux})
   * @param machineHardware architecture (e.g. {@code x86_64})
   * @return a {@code .txz} stream of the PostgreSQL distribution
   * @throws IOException when the binaries artifact is missing or the rewrite fails
   */
  @Override
  public InputStream getPgBinary(String system, String machineHardware) throws IOException {
    if (!runningAsRoot()) {
      return delegate.getPgBinary(system, machineHardware);
    }
    Path cache = Path.of(System.getProperty("java.io.tmpdir"), "clickstream-pg",
        "postgres-" + system + "-" + machineHardware + "-unshare-v1.txz");
    if (!Files.exists(cache)) {
      Files.createDirectories(cache.getParent());
      Path partial = Files.createTempFile(cache.getParent(), "pg-", ".txz.partial");
      try (InputStream original = delegate.getPgBinary(system, machineHardware);
           OutputStream out = new BufferedOutputStream(Files.newOutputStream(partial))) {
        rewrite(original, out);
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(partial);
        throw e;
      }
      Files.move(partial, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    return Files.newInputStream(cache);
  }

  private static void rewrite(InputStream originalTxz, OutputStream out) throws IOException {
    try (TarArchiveInputStream in = new TarArchiveInputStream(new XZCompressorInputStream(originalTxz));
         // preset 1: fast to write once; zonky only decompresses it
         TarArchiveOutputStream tar = new TarArchiveOutputStream(new XZCompressorOutputStream(out, 1))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      TarArchiveEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        String name = entry.getName().startsWith("./") ? entry.getName().substring(2) : entry.getName();
        if (WRAPPED.contains(name) && entry.isFile()) {
          entry.setName(name + ".real");
          tar.putArchiveEntry(entry);
          in.transferTo(tar);
          tar.closeArchiveEntry();
          byte[] script = WRAPPER.getBytes(StandardCharsets.UTF_8);
          TarArchiveEntry wrapper = new TarArchiveEntry(name);
          wrapper.setMode(0755);
          wrapper.setSize(script.length);
          tar.putArchiveEntry(wrapper);
          tar.write(script);
          tar.closeArchiveEntry();
        } else {
          tar.putArchiveEntry(entry);
          if (entry.isFile()) {
            in.transferTo(tar);
          }
          tar.closeArchiveEntry();
        }
      }
    }
  }

  /** @return whether the effective user of this process is root (uid 0), read from /proc/self/status */
  static boolean runningAsRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          String[] ids = line.substring(4).trim().split("\\s+");
          return ids.length > 1 && ids[1].equals("0");
        }
      }
    } catch (IOException e) {
      // not Linux: fall back to the user name
    }
    return "root".equals(System.getProperty("user.name"));
  }
}
