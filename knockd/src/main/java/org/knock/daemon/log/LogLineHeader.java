package org.knock.daemon.log;

/**
 * Finds where the kernel's message starts in a log line, skipping whatever header the log's
 * writer put before it: a /dev/kmsg record header ({@code 6,1234,5678901,-;}), a syslog header
 * (RFC 3164 {@code Nov 22 07:44:50 host }, RFC 3339 {@code 2026-11-22T07:44:50+00:00 host }, or
 * RFC 5424 {@code <4>1 TIMESTAMP HOST APP PROCID MSGID SD }), the {@code kernel: } tag, and the
 * printk timestamp ({@code [ 1234.567890] } or dmesg -T's {@code [Sun Nov 22 07:44:50 2026] }).
 * Reads the line's UTF-8 bytes, s[from, n), in place: only fixed byte tests, no regular
 * expressions, no allocation. Indexes are into s.
 */
final class LogLineHeader {
  private static final byte[] KERNEL_TAG = ascii("kernel: ");

  private LogLineHeader() {}

  /** Index of the kernel message's first byte in s[from, n) ({@code from} if no known header). */
  static int messageStart(byte[] s, int from, int n) {
    if (n == from) {
      return from;
    }
    int i = from;
    int c = s[from];
    if (c == '<') {
      int j = from + 1;
      while (j < n && j < from + 5 && isDigit(s[j])) {
        j++;
      }
      if (j == from + 1 || j >= n || s[j] != '>') {
        return from;
      }
      i = j + 1;
      if (i + 1 < n && isDigit(s[i]) && s[i + 1] == ' ') {
        return rfc5424Message(s, i + 2, n);
      }
      if (i >= n) {
        return i;
      }
      c = s[i];
    }
    if (isDigit(c)) {
      int k = kmsgMessage(s, i, n);
      if (k >= 0) {
        return k;
      }
      if (isRfc3339At(s, i, n)) {
        return afterTag(s, skipToken(s, skipToken(s, i, n), n), n);
      }
      return i;
    }
    int bsd = bsdTimestampEnd(s, i, n);
    if (bsd > 0) {
      return afterTag(s, skipToken(s, bsd, n), n);
    }
    return skipKernelTimestamp(s, i, n);
  }

  /** RFC 5424 after "<PRI>V ": TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [BOM]MSG. */
  private static int rfc5424Message(byte[] s, int i, int n) {
    for (int t = 0; t < 5; t++) {
      i = skipToken(s, i, n);
    }
    if (i < n && s[i] == '-') {
      i++;
    } else {
      while (i < n && s[i] == '[') {
        i++;
        while (i < n && s[i] != ']') {
          i += s[i] == '\\' ? 2 : 1;
        }
        i++;
      }
    }
    if (i < n && s[i] == ' ') {
      i++;
    }
    if (i + 2 < n && s[i] == (byte) 0xEF && s[i + 1] == (byte) 0xBB && s[i + 2] == (byte) 0xBF) {
      i += 3; // the UTF-8 byte order mark
    }
    return skipKernelTimestamp(s, Math.min(i, n), n);
  }

  /** After "prio,seq,usec,flags[,...];" when s[i..] starts like that, else -1. */
  private static int kmsgMessage(byte[] s, int i, int n) {
    int commas = 0;
    int limit = Math.min(n, i + 64);
    for (int j = i; j < limit; j++) {
      byte c = s[j];
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
  private static boolean isRfc3339At(byte[] s, int i, int n) {
    return i + 11 <= n && isDigit(s[i]) && isDigit(s[i + 3])
        && s[i + 4] == '-' && s[i + 7] == '-' && s[i + 10] == 'T';
  }

  /** After "Mmm dd hh:mm:ss[.ffffff] " at i (dd may be space-padded), else -1. */
  private static int bsdTimestampEnd(byte[] s, int i, int n) {
    if (!(i + 16 <= n && isUpper(s[i]) && isLower(s[i + 1])
        && isLower(s[i + 2]) && s[i + 3] == ' ' && isDigit(s[i + 5])
        && s[i + 6] == ' ' && s[i + 9] == ':' && s[i + 12] == ':')) {
      return -1;
    }
    int j = i + 15;
    if (s[j] == '.') {
      j++;
      while (j < n && isDigit(s[j])) {
        j++;
      }
    }
    return j < n && s[j] == ' ' ? j + 1 : -1;
  }

  /** Skips the "kernel: " tag when present, then the printk timestamp when present. */
  private static int afterTag(byte[] s, int i, int n) {
    if (startsWith(s, i, n, KERNEL_TAG)) {
      i += KERNEL_TAG.length;
    }
    return skipKernelTimestamp(s, i, n);
  }

  /** Skips "[ 1234.567890] " or "[Sun Nov 22 07:44:50 2026] " at i; else returns i. */
  static int skipKernelTimestamp(byte[] s, int i, int n) {
    if (i >= n || s[i] != '[') {
      return i;
    }
    int j = i + 1;
    while (j < n && s[j] == ' ') {
      j++;
    }
    int digits = j;
    while (j < n && isDigit(s[j])) {
      j++;
    }
    if (j > digits && j < n && s[j] == '.') {
      j++;
      int frac = j;
      while (j < n && isDigit(s[j])) {
        j++;
      }
      if (j > frac && j < n && s[j] == ']') {
        return skipSpace(s, j + 1, n);
      }
      return i;
    }
    // dmesg -T: "[Www Mmm dd hh:mm:ss yyyy]"
    int end = i + 25;
    if (end < n && s[end] == ']' && isUpper(s[i + 1]) && s[i + 4] == ' '
        && isUpper(s[i + 5]) && s[i + 8] == ' ' && s[i + 14] == ':'
        && s[i + 17] == ':' && isDigit(s[i + 24])) {
      return skipSpace(s, end + 1, n);
    }
    return i;
  }

  /** Index just past the space-terminated token at i (and that one space). */
  private static int skipToken(byte[] s, int i, int n) {
    i = indexOf(s, ' ', i, n);
    return i < n ? i + 1 : n;
  }

  /** The first index of c in s[i, n) (a word at a time), or n if there is none. */
  static int indexOf(byte[] s, char c, int i, int n) {
    int k = ByteScan.indexOf(s, i, n, (byte) c);
    return k < 0 ? n : k;
  }

  private static int skipSpace(byte[] s, int i, int n) {
    return i < n && s[i] == ' ' ? i + 1 : i;
  }

  /** True if s[i, n) starts with p. */
  static boolean startsWith(byte[] s, int i, int n, byte[] p) {
    int m = p.length;
    if (i < 0 || i + m > n) {
      return false;
    }
    for (int k = 0; k < m; k++) {
      if (s[i + k] != p[k]) {
        return false;
      }
    }
    return true;
  }

  /** The ASCII bytes of a constant. */
  static byte[] ascii(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isUpper(int c) {
    return c >= 'A' && c <= 'Z';
  }

  private static boolean isLower(int c) {
    return c >= 'a' && c <= 'z';
  }
}
