package dev.clickstream.contract;

/**
 * What stops a program of the project before or while it starts, as one line and an exit status: a bad or missing
 * setting, a lake, checkpoint or topic it cannot use, credentials the brokers refuse ({@value #BAD_SETTING}: the
 * user must change something), or a service that does not answer ({@value #UNAVAILABLE}: trying again later may
 * work). The {@code main} methods print {@code <program>: <message>} on stderr and exit with {@link #exitStatus()}.
 */
public final class StartupFailure extends RuntimeException {
  /** Exit status of a setting, file or credential the user must change. */
  public static final int BAD_SETTING = 2;
  /** Exit status of a service (Postgres, Kafka) that does not answer. */
  public static final int UNAVAILABLE = 1;

  private final int exitStatus;

  /**
   * @param message one line saying what and what to do, without secrets
   * @param exitStatus {@link #BAD_SETTING} or {@link #UNAVAILABLE}
   * @param cause what failed underneath, or null
   */
  public StartupFailure(String message, int exitStatus, Throwable cause) {
    super(message, cause);
    this.exitStatus = exitStatus;
  }

  /**
   * @param message one line naming the setting, file or credential
   * @return a failure with exit status {@value #BAD_SETTING}
   */
  public static StartupFailure badSetting(String message) {
    return new StartupFailure(message, BAD_SETTING, null);
  }

  /**
   * @param message one line naming the service (its address, never a password)
   * @return a failure with exit status {@value #UNAVAILABLE}
   */
  public static StartupFailure unavailable(String message) {
    return new StartupFailure(message, UNAVAILABLE, null);
  }

  /** @return {@link #BAD_SETTING} or {@link #UNAVAILABLE} */
  public int exitStatus() {
    return exitStatus;
  }
}
