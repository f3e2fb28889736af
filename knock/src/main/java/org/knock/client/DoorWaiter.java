package org.knock.client;

import java.io.PrintStream;
import java.time.Clock;

/**
 * Waits, after an {@code open} knock, until the opened TCP port accepts a connection or the time
 * is up. A refused attempt is retried 100 ms later; an attempt that times out (the SYN was
 * dropped) is retried at once with a fresh SYN, its timeout doubling from 200 ms up to 2 s so
 * that slow links get their chance. The number of attempts is bounded by the time allowed. On a
 * terminal a one-line countdown is shown on the error stream and erased at the end.
 */
final class DoorWaiter {
  /** How one attempt ended. */
  enum Outcome {
    OPEN,
    REFUSED,
    TIMED_OUT
  }

  /** One connection attempt. */
  interface Probe {
    Outcome attempt(int timeoutMs);
  }

  static final int RETRY_MS = 100;
  static final int FIRST_TIMEOUT_MS = 200;
  static final int MAX_TIMEOUT_MS = 2000;

  private final Clock clock;
  private final PrintStream err;
  private final boolean terminal;

  DoorWaiter(Clock clock, PrintStream err, boolean terminal) {
    this.clock = clock;
    this.err = err;
    this.terminal = terminal;
  }

  /**
   * Tries until the probe reports the port open or {@code seconds} have passed.
   *
   * @param what names the port in the countdown, e.g. "192.0.2.1:22"
   * @return true once open, false if it never opened in time
   */
  boolean await(String what, Probe probe, int seconds) throws InterruptedException {
    long start = clock.millis();
    long deadline = start + seconds * 1000L;
    int timeout = FIRST_TIMEOUT_MS;
    long shown = -1;
    int maxAttempts = seconds * 1000 / RETRY_MS + 1;
    try {
      for (int attempt = 0; attempt < maxAttempts; attempt++) {
        long now = clock.millis();
        long left = deadline - now;
        if (left <= 0) {
          return false;
        }
        long secondsLeft = (left + 999) / 1000;
        if (terminal && secondsLeft != shown) {
          err.print("\rknock: waiting for " + what + " to open... " + secondsLeft + " s ");
          err.flush();
          shown = secondsLeft;
        }
        Outcome o = probe.attempt((int) Math.min(timeout, left));
        if (o == Outcome.OPEN) {
          return true;
        }
        if (o == Outcome.TIMED_OUT) {
          timeout = Math.min(timeout * 2, MAX_TIMEOUT_MS);
        } else {
          long pause = Math.min(RETRY_MS, deadline - clock.millis());
          if (pause > 0) {
            Thread.sleep(pause);
          }
        }
      }
      return false;
    } finally {
      if (shown >= 0) {
        err.print("\r\033[K");
        err.flush();
      }
    }
  }
}
