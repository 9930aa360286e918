package dev.clickstream.app.config;

/** A missing or unparsable setting. The message is one line naming the setting; the process exits with 2. */
public final class SettingsException extends RuntimeException {
  /** @param message one line, e.g. {@code JDBC_URL is required (e.g. jdbc:postgresql://host:5432/db)} */
  public SettingsException(String message) {
    super(message);
  }
}
