package org.knock.daemon.log;

import static org.knock.daemon.log.ByteScan.HIGHS;
import static org.knock.daemon.log.ByteScan.LONGS;
import static org.knock.daemon.log.ByteScan.ONES;

import java.nio.charset.StandardCharsets;

/**
 * Which lines a {@link LineSink} wants, decided on raw bytes before any String is built: every
 * line ({@link #ALL}), or only lines that contain a marker (the LOG prefix). A line without the
 * marker can be no packet line of ours, so the sources drop it without decoding it. Searches 32
 * bytes (four words) a step for the marker's first byte, then compares the rest. Immutable.
 */
public final class LineFilter {
  /** Every line. */
  public static final LineFilter ALL = new LineFilter(new byte[0]);

  private final byte[] marker;
  private final long pattern;

  private LineFilter(byte[] marker) {
    this.marker = marker;
    this.pattern = marker.length == 0 ? 0 : ByteScan.broadcast(marker[0]);
  }

  /**
   * Lines containing {@code marker} (trimmed, ASCII); {@link #ALL} if it is blank.
   */
  public static LineFilter containing(String marker) {
    String m = marker.strip();
    return m.isEmpty() ? ALL : new LineFilter(m.getBytes(StandardCharsets.US_ASCII));
  }

  /** True when every line is wanted. */
  boolean all() {
    return marker.length == 0;
  }

  /** True when a[from, to) is wanted. */
  boolean wants(byte[] a, int from, int to) {
    return all() || indexIn(a, from, to) >= 0;
  }

  /** Where the marker first lies wholly inside a[from, to), or -1 (0 offset for {@link #ALL}). */
  int indexIn(byte[] a, int from, int to) {
    int n = marker.length;
    if (n == 0) {
      return from;
    }
    int last = to - n; // the last index the marker may start at
    int i = from;
    while (i + 32 <= last + 1) { // 32 bytes a step, one branch: a block without the first byte
      long x0 = (long) LONGS.get(a, i) ^ pattern;
      long x1 = (long) LONGS.get(a, i + 8) ^ pattern;
      long x2 = (long) LONGS.get(a, i + 16) ^ pattern;
      long x3 = (long) LONGS.get(a, i + 24) ^ pattern;
      long zeros = ((x0 - ONES) & ~x0) | ((x1 - ONES) & ~x1) | ((x2 - ONES) & ~x2)
          | ((x3 - ONES) & ~x3);
      if ((zeros & HIGHS) != 0) { // some byte is the marker's first: look at each
        for (int at = i; at < i + 32; at++) {
          if (a[at] == marker[0] && rest(a, at)) {
            return at;
          }
        }
      }
      i += 32;
    }
    while (i + 8 <= last + 1) {
      long x = (long) LONGS.get(a, i) ^ pattern;
      long hits = (x - ONES) & ~x & HIGHS; // exact for the lowest hit, maybe false above it
      while (hits != 0) {
        int at = i + (Long.numberOfTrailingZeros(hits) >>> 3);
        if (a[at] == marker[0] && rest(a, at)) {
          return at;
        }
        hits &= hits - 1;
      }
      i += 8;
    }
    for (; i <= last; i++) {
      if (a[i] == marker[0] && rest(a, i)) {
        return i;
      }
    }
    return -1;
  }

  private boolean rest(byte[] a, int at) {
    for (int k = 1; k < marker.length; k++) {
      if (a[at + k] != marker[k]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return all() ? "all lines" : "lines containing '" + new String(marker, StandardCharsets.US_ASCII)
        + "'";
  }
}
