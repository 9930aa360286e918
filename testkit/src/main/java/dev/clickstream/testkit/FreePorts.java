package dev.clickstream.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free TCP ports on the loopback interface. */
public final class FreePorts {
  private FreePorts() {}

  /**
   * A port that was free on 127.0.0.1 a moment ago (the OS picks it; another process may still take it
   * before the caller binds, which is unlikely on a test machine).
   *
   * @return a port number in the ephemeral range
   * @throws UncheckedIOException when no socket can be opened at all
   */
  public static int next() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free TCP port on 127.0.0.1", e);
    }
  }

  /**
   * Ports that were free on 127.0.0.1 a moment ago and differ from each other and from {@code taken}: all
   * sockets stay open until every port is chosen ({@link #next()} twice may return the same port).
   *
   * @param count how many ports, &gt;= 1
   * @param taken ports not to return (e.g. one the caller already chose)
   * @return {@code count} distinct port numbers
   * @throws UncheckedIOException when no socket can be opened at all
   */
  public static int[] distinct(int count, int... taken) {
    java.util.List<ServerSocket> open = new java.util.ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket;
        do {
          socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
          open.add(socket); // held even when rejected, so the OS does not hand it out again
        } while (contains(taken, socket.getLocalPort()));
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("no free TCP port on 127.0.0.1", e);
    } finally {
      for (ServerSocket socket : open) {
        try {
          socket.close();
        } catch (IOException e) {
          // closing a listening socket we opened: nothing to do
        }
      }
    }
  }

  private static boolean contains(int[] values, int value) {
    for (int v : values) {
      if (v == value) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether something can bind {@code port} on 127.0.0.1 right now.
   *
   * @param port TCP port, 1-65535
   * @return true when the port is free
   */
  public static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
