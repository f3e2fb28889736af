package org.knock.core;

/** Port numbers as text. */
public final class Ports {
  private Ports() {}

  /** True if every character is an ASCII digit. */
  static boolean allDigits(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses a port number 1-65535.
   *
   * @param what names the context in the error, e.g. "open"
   * @throws KnockException e.g. "open: port 99999 is out of range 1-65535"
   */
  public static int parse(String s, String what) throws KnockException {
    if (s.isEmpty() || s.length() > 6 || !allDigits(s)) {
      throw new KnockException(what + ": bad port '" + s + "': use a number 1-65535");
    }
    int port = Integer.parseInt(s);
    if (port < 1 || port > 65535) {
      throw new KnockException(what + ": port " + s + " is out of range 1-65535");
    }
    return port;
  }
}
