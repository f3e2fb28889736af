package org.knock.daemon;

import java.time.Duration;

/**
 * When to tell the admin, in knockd's own log, about input that carried knockd's LOG prefix (or
 * came from its NFLOG group) but could not be read as a packet: knocks in it are lost, and the
 * usual cause is a log format or a rule knockd does not read. The first such input is reported
 * at the next sweep, later ones at most once per {@link #EVERY}, each line with the count since
 * the last report and why the newest was unreadable. Counts only grow; no clock of its own. Not
 * thread-safe.
 */
final class UnreadableReport {
  /** Least time between two reports. */
  static final Duration EVERY = Duration.ofMinutes(1);
  private static final int MAX_PROBLEM = 200;

  private long reported;
  private long reportedAt;
  private boolean any;

  /**
   * The line to log now, or null.
   *
   * @param total unreadable lines and messages since knockd started
   * @param problem why the newest was unreadable
   * @param nowMillis the daemon's clock
   */
  String check(long total, String problem, long nowMillis) {
    if (total <= reported || any && nowMillis - reportedAt < EVERY.toMillis()) {
      return null;
    }
    long n = total - reported;
    String since = any ? " in the last " + Duration.ofMillis(nowMillis - reportedAt).toSeconds()
        + " s" : "";
    reported = total;
    reportedAt = nowMillis;
    any = true;
    return n + (n == 1 ? " log line or NFLOG message" : " log lines or NFLOG messages")
        + " with knockd's prefix could not be read as a packet" + since + " (last: "
        + printable(problem) + "); knocks in them are lost: does the log format or rule differ "
        + "from what knockd reads? (" + total + " in all)";
  }

  /** {@code s} on one line of printable ASCII, at most {@link #MAX_PROBLEM} characters. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_PROBLEM));
    for (int i = 0; i < s.length() && b.length() < MAX_PROBLEM; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return b.toString();
  }
}
