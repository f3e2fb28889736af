package org.knock.client;

import java.io.PrintStream;
import java.time.Clock;

/**
 * Waits, after an {@code open} knock, until the opened TCP port accepts a connection or the time
 * is up, and knocks again (through {@link Door#knockAgain}) while the port stays shut: up to the
 * given number of retries, the first {@link #retryAfterMs retryAfterMs(1)} = 1 s after the first
 * knock, each later one twice as long after the previous knock, at most 8 s. A refused attempt
 * is retried 100 ms later; an attempt that times out (the SYN was dropped) is retried at once
 * with a fresh SYN, its timeout doubling from 200 ms up to 2 s so that slow links get their
 * chance; an attempt is cut short when a knock is due. The number of attempts is bounded by the
 * time allowed and the retries. On a terminal a one-line countdown is shown on the error stream
 * and erased at the end and before each retry.
 */
final class DoorWaiter {
  /** How one attempt ended. */
  enum Outcome {
    OPEN,
    REFUSED,
    TIMED_OUT
  }

  /** The door being waited for: one connection attempt, and a new knock on it. */
  interface Door {
    Outcome attempt(int timeoutMs);

    /**
     * Knocks again.
     *
     * @param retry 1 for the first retry
     * @param shutForMs how long the port has stayed shut since the last knock
     */
    void knockAgain(int retry, long shutForMs) throws ClientException, InterruptedException;
  }

  static final int RETRY_MS = 100;
  static final int FIRST_TIMEOUT_MS = 200;
  static final int MAX_TIMEOUT_MS = 2000;
  /** The pause before the first retry; later ones double, up to {@link #MAX_KNOCK_GAP_MS}. */
  static final int FIRST_KNOCK_GAP_MS = 1000;
  static final int MAX_KNOCK_GAP_MS = 8000;

  private final Clock clock;
  private final PrintStream err;
  private final boolean terminal;
  private int retriesSent;

  DoorWaiter(Clock clock, PrintStream err, boolean terminal) {
    this.clock = clock;
    this.err = err;
    this.terminal = terminal;
  }

  /**
   * The pause before retry {@code n} (1, 2, ...) since the previous knock: 1 s, 2 s, 4 s, then
   * 8 s. A grant takes ~10 ms at the server; the rest of a second is the round trip of a slow
   * link, so a knock that got through has opened the port by then.
   */
  static long retryAfterMs(int n) {
    return n >= 4 ? MAX_KNOCK_GAP_MS : (long) FIRST_KNOCK_GAP_MS << (n - 1);
  }

  /** How many times {@link #await} knocked again. */
  int retriesSent() {
    return retriesSent;
  }

  /**
   * Tries until the door reports the port open or {@code seconds} have passed, knocking again
   * up to {@code retries} times while it stays shut.
   *
   * @param what names the port in the countdown, e.g. "192.0.2.1:22"
   * @return true once open, false if it never opened in time
   */
  boolean await(String what, Door door, int seconds, int retries)
      throws ClientException, InterruptedException {
    long start = clock.millis();
    long deadline = start + seconds * 1000L;
    long lastKnock = start;
    int timeout = FIRST_TIMEOUT_MS;
    long shown = -1;
    int maxAttempts = seconds * 1000 / RETRY_MS + 2 * retries + 3;
    try {
      for (int attempt = 0; attempt < maxAttempts; attempt++) {
        long now = clock.millis();
        long left = deadline - now;
        if (left <= 0) {
          return false;
        }
        // the next knock is due then, or never (the deadline comes first)
        long knockAt = retriesSent < retries ? lastKnock + retryAfterMs(retriesSent + 1)
            : deadline;
        if (knockAt <= now && knockAt < deadline) {
          if (shown >= 0) {
            err.print("\r\033[K");
            err.flush();
            shown = -1;
          }
          retriesSent++;
          door.knockAgain(retriesSent, now - lastKnock);
          lastKnock = clock.millis();
          timeout = FIRST_TIMEOUT_MS;
          continue;
        }
        long secondsLeft = (left + 999) / 1000;
        if (terminal && secondsLeft != shown) {
          err.print("\rknock: waiting for " + what + " to open... " + secondsLeft + " s ");
          err.flush();
          shown = secondsLeft;
        }
        int allowed = (int) Math.min(timeout, Math.min(deadline, knockAt) - now);
        Outcome o = door.attempt(allowed);
        if (o == Outcome.OPEN) {
          return true;
        }
        if (o == Outcome.TIMED_OUT) {
          if (allowed == timeout) {
            timeout = Math.min(timeout * 2, MAX_TIMEOUT_MS);
          }
        } else {
          long pause = Math.min(RETRY_MS, Math.min(deadline, knockAt) - clock.millis());
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
