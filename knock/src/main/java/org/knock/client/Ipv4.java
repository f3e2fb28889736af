package org.knock.client;

/** Dotted-quad IPv4 text to and from the 32-bit int the payload carries. */
final class Ipv4 {
  private Ipv4() {}

  /** The address as an unsigned 32-bit value, or -1 if it is not four dotted decimals 0-255. */
  static long parse(String s) {
    long value = 0;
    int parts = 0;
    int start = 0;
    for (int i = 0; i <= s.length(); i++) {
      if (i == s.length() || s.charAt(i) == '.') {
        String part = s.substring(start, i);
        int n = part.length() > 3 ? -1 : KnockSettings.number(part);
        if (n < 0 || n > 255 || ++parts > 4) {
          return -1;
        }
        value = (value << 8) | n;
        start = i + 1;
      }
    }
    return parts == 4 ? value : -1;
  }

  /**
   * The 16 bytes of an IPv6 literal (no name is ever looked up), or null if {@code s} is not one:
   * hex digits, ':' and '.' only, no zone; an IPv4-mapped or unspecified address is not one.
   */
  static byte[] parse6(String s) {
    if (s.indexOf(':') < 0) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) { // no lambda: the client loads little at start
      char c = s.charAt(i);
      if (Character.digit(c, 16) < 0 && c != ':' && c != '.') {
        return null;
      }
    }
    try {
      // hex digits, ':' and '.' with a ':': parsed as a literal, never looked up
      java.net.InetAddress a = java.net.InetAddress.getByName(s);
      byte[] b = a.getAddress();
      return b.length == 16 && !a.isAnyLocalAddress() ? b : null;
    } catch (java.net.UnknownHostException e) {
      return null;
    }
  }

  static String format(int a) {
    return (a >>> 24) + "." + ((a >>> 16) & 0xFF) + "." + ((a >>> 8) & 0xFF) + "." + (a & 0xFF);
  }
}
