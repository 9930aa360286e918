package dev.clickstream.testkit;

import java.nio.file.Path;

/** A JVM that starts PostgreSQL on a data directory and port, says so, and waits to be killed. */
final class LeftoverPostgres {
  private LeftoverPostgres() {}

  /** @param args data directory, port */
  public static void main(String[] args) throws Exception {
    PostgresServer server = PostgresServer.start(Path.of(args[0]), Integer.parseInt(args[1]), false);
    server.createDatabase("survivor");
    System.out.println("ready " + server.port());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
