package org.knock.daemon.config;

/**
 * The ports knocks arrive on, {@code START-END} inclusive; START is the mapping's base port.
 *
 * @param start first port
 * @param end last port, at least start
 */
public record KnockRange(int start, int end) {
  public KnockRange {
    if (start < 1 || end > 65535 || end < start) {
      throw new IllegalArgumentException("bad range " + start + "-" + end);
    }
  }

  /** Whether {@code port} lies in the range. */
  public boolean contains(int port) {
    return port >= start && port <= end;
  }

  /** Number of ports in the range. */
  public int size() {
    return end - start + 1;
  }

  @Override
  public String toString() {
    return start + "-" + end;
  }
}
