package org.knock.daemon.log;

/**
 * Finds where the kernel's message starts in a log line, skipping whatever header the log's
 * writer put before it: a /dev/kmsg record header ({@code 6,1234,5678901,-;}), a syslog header
 * (RFC 3164 {@code Nov 22 07:44:50 host }, RFC 3339 {@code 2026-11-22T07:44:50+00:00 host }, or
 * RFC 5424 {@code <4>1 TIMESTAMP HOST APP PROCID MSGID SD }), the {@code kernel: } tag, and the
 * printk timestamp ({@code [ 1234.567890] } or dmesg -T's {@code [Sun Nov 22 07:44:50 2026] }).
 * Only fixed character tests, no regular expressions, no allocation.
 */
final class LogLineHeader {
  private static final String KERNEL_TAG = "kernel: ";

  private LogLineHeader() {}

  /** Index of the first character of the kernel message in s (0 if there is no known header). */
  static int messageStart(CharSequence s) {
    int n = s.length();
    if (n == 0) {
      return 0;
    }
    int i = 0;
    char c = s.charAt(0);
    if (c == '<') {
      int j = 1;
      while (j < n && j < 5 && isDigit(s.charAt(j))) {
        j++;
      }
      if (j == 1 || j >= n || s.charAt(j) != '>') {
        return 0;
      }
      i = j + 1;
      if (i + 1 < n && isDigit(s.charAt(i)) && s.charAt(i + 1) == ' ') {
        return rfc5424Message(s, i + 2);
      }
      if (i >= n) {
        return i;
      }
      c = s.charAt(i);
    }
    if (isDigit(c)) {
      int k = kmsgMessage(s, i);
      if (k >= 0) {
        return k;
      }
      if (isRfc3339At(s, i)) {
        return afterTag(s, skipToken(s, skipToken(s, i)));
      }
      return i;
    }
    int bsd = bsdTimestampEnd(s, i);
    if (bsd > 0) {
      return afterTag(s, skipToken(s, bsd));
    }
    return skipKernelTimestamp(s, i);
  }

  /** RFC 5424 after "<PRI>V ": TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [BOM]MSG. */
  private static int rfc5424Message(CharSequence s, int i) {
    int n = s.length();
    for (int t = 0; t < 5; t++) {
      i = skipToken(s, i);
    }
    if (i < n && s.charAt(i) == '-') {
      i++;
    } else {
      while (i < n && s.charAt(i) == '[') {
        i++;
        while (i < n && s.charAt(i) != ']') {
          i += s.charAt(i) == '\\' ? 2 : 1;
        }
        i++;
      }
    }
    if (i < n && s.charAt(i) == ' ') {
      i++;
    }
    if (i < n && s.charAt(i) == '\uFEFF') {
      i++;
    }
    return skipKernelTimestamp(s, Math.min(i, n));
  }

  /** After "prio,seq,usec,flags[,...];" when s[i..] starts like that, else -1. */
  private static int kmsgMessage(CharSequence s, int i) {
    int n = s.length();
    int commas = 0;
    int limit = Math.min(n, i + 64);
    for (int j = i; j < limit; j++) {
      char c = s.charAt(j);
      if (c == ';') {
        return commas >= 3 ? j + 1 : -1;
      }
      if (c == ',') {
        commas++;
      } else if (commas < 3 && !isDigit(c)) {
        return -1;
      }
    }
    return -1;
  }

  /** "YYYY-MM-DDT" at i (RFC 3339 / ISO 8601 timestamps as journalctl and rsyslog write them). */
  private static boolean isRfc3339At(CharSequence s, int i) {
    return i + 11 <= s.length() && isDigit(s.charAt(i)) && isDigit(s.charAt(i + 3))
        && s.charAt(i + 4) == '-' && s.charAt(i + 7) == '-' && s.charAt(i + 10) == 'T';
  }

  /** After "Mmm dd hh:mm:ss[.ffffff] " at i (dd may be space-padded), else -1. */
  private static int bsdTimestampEnd(CharSequence s, int i) {
    int n = s.length();
    if (!(i + 16 <= n && isUpper(s.charAt(i)) && isLower(s.charAt(i + 1))
        && isLower(s.charAt(i + 2)) && s.charAt(i + 3) == ' ' && isDigit(s.charAt(i + 5))
        && s.charAt(i + 6) == ' ' && s.charAt(i + 9) == ':' && s.charAt(i + 12) == ':')) {
      return -1;
    }
    int j = i + 15;
    if (s.charAt(j) == '.') {
      j++;
      while (j < n && isDigit(s.charAt(j))) {
        j++;
      }
    }
    return j < n && s.charAt(j) == ' ' ? j + 1 : -1;
  }

  /** Skips the "kernel: " tag when present, then the printk timestamp when present. */
  private static int afterTag(CharSequence s, int i) {
    if (startsWith(s, i, KERNEL_TAG)) {
      i += KERNEL_TAG.length();
    }
    return skipKernelTimestamp(s, i);
  }

  /** Skips "[ 1234.567890] " or "[Sun Nov 22 07:44:50 2026] " at i; else returns i. */
  static int skipKernelTimestamp(CharSequence s, int i) {
    int n = s.length();
    if (i >= n || s.charAt(i) != '[') {
      return i;
    }
    int j = i + 1;
    while (j < n && s.charAt(j) == ' ') {
      j++;
    }
    int digits = j;
    while (j < n && isDigit(s.charAt(j))) {
      j++;
    }
    if (j > digits && j < n && s.charAt(j) == '.') {
      j++;
      int frac = j;
      while (j < n && isDigit(s.charAt(j))) {
        j++;
      }
      if (j > frac && j < n && s.charAt(j) == ']') {
        return skipSpace(s, j + 1);
      }
      return i;
    }
    // dmesg -T: "[Www Mmm dd hh:mm:ss yyyy]"
    int end = i + 25;
    if (end < n && s.charAt(end) == ']' && isUpper(s.charAt(i + 1)) && s.charAt(i + 4) == ' '
        && isUpper(s.charAt(i + 5)) && s.charAt(i + 8) == ' ' && s.charAt(i + 14) == ':'
        && s.charAt(i + 17) == ':' && isDigit(s.charAt(i + 24))) {
      return skipSpace(s, end + 1);
    }
    return i;
  }

  /** Index just past the space-terminated token at i (and that one space). */
  private static int skipToken(CharSequence s, int i) {
    int n = s.length();
    i = indexOf(s, ' ', i);
    return i < n ? i + 1 : n;
  }

  /**
   * The first index of c in s at or after i, or s.length() if there is none: a word at a time on
   * a line read in place ({@link AsciiLine}), the JDK's search on a String.
   */
  static int indexOf(CharSequence s, char c, int i) {
    if (s instanceof AsciiLine line) {
      return line.indexOf(c, i);
    }
    int n = s.length();
    if (s instanceof String str) {
      int k = str.indexOf(c, i);
      return k < 0 ? n : k;
    }
    i = Math.max(i, 0); // as String.indexOf and AsciiLine take a negative start
    while (i < n && s.charAt(i) != c) {
      i++;
    }
    return Math.min(i, n);
  }

  private static int skipSpace(CharSequence s, int i) {
    return i < s.length() && s.charAt(i) == ' ' ? i + 1 : i;
  }

  static boolean startsWith(CharSequence s, int i, String p) {
    int m = p.length();
    if (i < 0 || i + m > s.length()) {
      return false;
    }
    for (int k = 0; k < m; k++) {
      if (s.charAt(i + k) != p.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isUpper(char c) {
    return c >= 'A' && c <= 'Z';
  }

  private static boolean isLower(char c) {
    return c >= 'a' && c <= 'z';
  }
}
