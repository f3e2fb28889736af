package org.knock.daemon.log;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The restart delays of a log source that lost its input: 0.25 s, doubling up to 8 s. A wait is
 * cut short once the source is closed, within 50 ms.
 */
final class Backoff {
  static final long FIRST_MS = 250;
  static final long MAX_MS = 8000;

  private Backoff() {}

  /** Waits {@code backoff} ms unless {@code closed} turns true first; returns the next delay. */
  static long sleep(long backoff, BooleanSupplier closed) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff);
    while (!closed.getAsBoolean() && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(Math.min(50, backoff));
    }
    return Math.min(MAX_MS, backoff * 2);
  }
}
