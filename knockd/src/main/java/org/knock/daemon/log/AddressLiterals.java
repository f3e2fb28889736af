package org.knock.daemon.log;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Parses IPv4 and IPv6 address literals from a region of a line's bytes, without any name lookup.
 * Only ASCII digits count (no other script's digits).
 */
final class AddressLiterals {
  private AddressLiterals() {}

  /**
   * The address in s[from, to): dotted-quad IPv4 or IPv6 (full, compressed, or with an embedded
   * dotted quad); null if it is not a valid literal.
   */
  static InetAddress parse(byte[] s, int from, int to) {
    long v4 = parseV4(s, from, to);
    if (v4 >= 0) {
      return ipv4((int) v4);
    }
    byte[] bytes = new byte[16];
    return parseV6(s, from, to, bytes) ? address(bytes) : null;
  }

  /** The IPv4 address whose big-endian value is {@code bits} (10.0.0.1 is 0x0A000001). */
  static InetAddress ipv4(int bits) {
    return address(new byte[] {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8),
        (byte) bits});
  }

  private static InetAddress address(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always accepted", e);
    }
  }

  /** The IPv4 address in s[from, to) as an unsigned 32-bit value, or -1 if not a dotted quad. */
  static long parseV4(byte[] s, int from, int to) {
    long value = 0;
    int octets = 0;
    int i = from;
    while (octets < 4) {
      int start = i;
      int octet = 0;
      while (i < to && i - start < 3) {
        byte c = s[i];
        if (c < '0' || c > '9') {
          break;
        }
        octet = octet * 10 + (c - '0');
        i++;
      }
      if (i == start || octet > 255 || (i - start > 1 && s[start] == '0')) {
        return -1;
      }
      value = value << 8 | octet;
      octets++;
      if (octets < 4) {
        if (i >= to || s[i] != '.') {
          return -1;
        }
        i++;
      }
    }
    return i == to ? value : -1;
  }

  /** The value of an ASCII hex digit, or -1. */
  private static int hexDigit(byte c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  /** Parses the IPv6 literal in s[from, to) into out (16 bytes); false if invalid. */
  static boolean parseV6(byte[] s, int from, int to, byte[] out) {
    if (to - from < 2 || to - from > 45) {
      return false;
    }
    int words = 0; // 16-bit groups written so far
    int gap = -1; // group index where "::" stands
    int i = from;
    if (s[i] == ':') {
      if (s[i + 1] != ':') {
        return false;
      }
      gap = 0;
      i += 2;
    }
    while (i < to) {
      if (words == 8) {
        return false;
      }
      int start = i;
      int value = 0;
      while (i < to && i - start < 5) {
        int d = hexDigit(s[i]);
        if (d < 0) {
          break;
        }
        value = value << 4 | d;
        i++;
      }
      if (i < to && s[i] == '.') { // embedded dotted quad ends the address
        if (words > 6) {
          return false;
        }
        long v4 = parseV4(s, start, to);
        if (v4 < 0) {
          return false;
        }
        out[2 * words] = (byte) (v4 >>> 24);
        out[2 * words + 1] = (byte) (v4 >>> 16);
        out[2 * words + 2] = (byte) (v4 >>> 8);
        out[2 * words + 3] = (byte) v4;
        words += 2;
        i = to;
        break;
      }
      if (i == start || i - start > 4) {
        return false;
      }
      out[2 * words] = (byte) (value >>> 8);
      out[2 * words + 1] = (byte) value;
      words++;
      if (i == to) {
        break;
      }
      if (s[i] != ':') {
        return false;
      }
      i++;
      if (i < to && s[i] == ':') {
        if (gap >= 0) {
          return false;
        }
        gap = words;
        i++;
      } else if (i == to) {
        return false; // trailing single colon
      }
    }
    if (gap < 0) {
      return words == 8;
    }
    if (words == 8) {
      return false; // "::" must stand for at least one group
    }
    int tail = words - gap;
    System.arraycopy(out, 2 * gap, out, 16 - 2 * tail, 2 * tail);
    Arrays.fill(out, 2 * gap, 16 - 2 * tail, (byte) 0);
    return true;
  }
}
