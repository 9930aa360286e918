package dev.clickstream.app.config;

import java.util.regex.Pattern;

/**
 * JDBC URLs as they may be printed: a URL can carry a password ({@code ?password=...}, {@code sslpassword=...},
 * pgjdbc's connection properties) and architecture §5 keeps secrets out of every log line.
 */
public final class JdbcUrls {
  /** A password property in a URL's query (pgjdbc: {@code password}, {@code sslpassword}), any case. */
  private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)((?:ssl)?password=)[^&;\\s)]*");
  /** Credentials before the host ({@code //user:secret@host}), which some drivers accept. */
  private static final Pattern USER_INFO = Pattern.compile("//[^/@\\s]*@");

  private JdbcUrls() {}

  /**
   * @param text a JDBC URL, or a message that may quote one; null stays null
   * @return the same text with every password parameter's value and every {@code user:password@} part replaced
   *     by {@code ****}
   */
  public static String masked(String text) {
    if (text == null) {
      return null;
    }
    return USER_INFO.matcher(PASSWORD_PARAMETER.matcher(text).replaceAll("$1****")).replaceAll("//****@");
  }
}
