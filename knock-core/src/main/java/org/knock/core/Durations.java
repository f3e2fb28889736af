package org.knock.core;

import java.time.Duration;

/**
 * Durations as people write them ({@code 30s}, {@code 30m}, {@code 2h}, {@code 1d}, or a bare
 * number of seconds) and as the payload carries them: 16 bits, the top two naming the unit
 * (seconds, minutes, hours, days) and the low 14 the count (0-16383). Zero means "the server's
 * default".
 */
public final class Durations {
  /** Largest count of one unit the payload can carry. */
  public static final int MAX_COUNT = (1 << 14) - 1;
  private static final long[] UNIT_SECONDS = {1, 60, 3600, 86400};
  private static final char[] UNIT_LETTERS = {'s', 'm', 'h', 'd'};
  /** The longest duration the payload can carry: 16383 days. */
  public static final Duration MAX = Duration.ofDays(MAX_COUNT);

  private Durations() {}

  /**
   * Parses {@code 30s}, {@code 30m}, {@code 2h}, {@code 1d} or a bare number of seconds.
   *
   * @throws KnockException naming the problem, e.g. "bad duration '30x': use a number followed
   *     by s, m, h or d"
   */
  public static Duration parse(String text) throws KnockException {
    String t = text.trim();
    if (t.isEmpty()) {
      throw new KnockException("empty duration: use e.g. 30s, 30m, 2h or 1d");
    }
    if (t.startsWith("-")) {
      throw new KnockException("bad duration '" + text + "': it must not be negative");
    }
    char last = Character.toLowerCase(t.charAt(t.length() - 1));
    long unit = 1;
    String digits = t;
    if (!Character.isDigit(last)) {
      int idx = new String(UNIT_LETTERS).indexOf(last);
      if (idx < 0) {
        throw new KnockException(
            "bad duration '" + text + "': use a number followed by s, m, h or d");
      }
      unit = UNIT_SECONDS[idx];
      digits = t.substring(0, t.length() - 1);
    }
    if (digits.isEmpty() || digits.length() > 9 || !Ports.allDigits(digits)) {
      throw new KnockException(
          "bad duration '" + text + "': use a number followed by s, m, h or d");
    }
    long seconds = Long.parseLong(digits) * unit;
    if (seconds == 0) {
      throw new KnockException("bad duration '" + text + "': it must be longer than zero");
    }
    if (seconds > MAX.getSeconds()) {
      throw new KnockException("bad duration '" + text + "': the longest is " + MAX_COUNT + "d");
    }
    Duration d = Duration.ofSeconds(seconds);
    if (!isEncodable(d)) {
      throw new KnockException("bad duration '" + text
          + "': too long to count in seconds; use whole minutes, hours or days");
    }
    return d;
  }

  /** Formats with the largest unit that divides it exactly: 1800 s → "30m". */
  public static String format(Duration d) {
    long s = d.getSeconds();
    if (s == 0) {
      return "0s";
    }
    for (int i = UNIT_SECONDS.length - 1; i >= 0; i--) {
      if (s % UNIT_SECONDS[i] == 0) {
        return (s / UNIT_SECONDS[i]) + String.valueOf(UNIT_LETTERS[i]);
      }
    }
    return s + "s";
  }

  /**
   * The 16-bit wire form, with the finest unit whose count fits.
   *
   * @throws IllegalArgumentException if it cannot be carried exactly (not a whole number of a unit
   *     whose count fits 14 bits)
   */
  static int encode(Duration d) {
    long s = d.getSeconds();
    if (s < 0 || d.getNano() != 0) {
      throw new IllegalArgumentException("duration must be whole non-negative seconds: " + d);
    }
    for (int i = 0; i < UNIT_SECONDS.length; i++) {
      if (s % UNIT_SECONDS[i] == 0 && s / UNIT_SECONDS[i] <= MAX_COUNT) {
        return (i << 14) | (int) (s / UNIT_SECONDS[i]);
      }
    }
    throw new IllegalArgumentException("duration cannot be carried exactly: " + d);
  }

  static Duration decode(int wire) {
    return Duration.ofSeconds(UNIT_SECONDS[(wire >>> 14) & 3] * (wire & MAX_COUNT));
  }

  /** True if {@link #encode} can carry it. */
  public static boolean isEncodable(Duration d) {
    try {
      encode(d);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
