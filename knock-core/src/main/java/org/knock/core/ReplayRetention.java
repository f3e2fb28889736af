package org.knock.core;

import java.time.Duration;

/**
 * How long a replay cache must remember a knock: until the knock's own timestamp has left the
 * WIDEST time window ever in force (+1 s), so that no later change of the window can bring a
 * recorded knock back inside it. A narrower window never shortens the retention. Widening cannot
 * bring back what a narrower retention already forgot, so it also raises a floor: a key stamped
 * before {@link #floor()} may have been forgotten, and the cache must refuse it as a possible
 * replay. No clock of its own: times are passed in. Not thread-safe.
 */
public final class ReplayRetention {
  /** No floor: nothing was ever forgotten. */
  public static final long NO_FLOOR = Long.MIN_VALUE;

  private long widestSeconds;
  private long floor;

  /**
   * @param widestSeconds the widest time window (seconds) ever in force
   * @param floor keys stamped before this Unix second may have been forgotten, or {@link
   *     #NO_FLOOR}
   */
  public ReplayRetention(long widestSeconds, long floor) {
    if (widestSeconds < 0) {
      throw new IllegalArgumentException("negative time window");
    }
    this.widestSeconds = widestSeconds;
    this.floor = floor;
  }

  /** A retention for one time window, with nothing forgotten yet. */
  public static ReplayRetention of(Duration window) {
    return new ReplayRetention(window.getSeconds(), NO_FLOOR);
  }

  public long widestSeconds() {
    return widestSeconds;
  }

  public long floor() {
    return floor;
  }

  /** Whether a key stamped at {@code timestamp} must still be remembered at {@code now}. */
  public boolean keeps(long timestamp, long now) {
    return expiry(timestamp) >= now;
  }

  /** The Unix second after which a key stamped at {@code timestamp} may be forgotten. */
  public long expiry(long timestamp) {
    return timestamp + widestSeconds + 1;
  }

  /** Whether a key stamped at {@code timestamp} may already have been forgotten. */
  public boolean mayHaveForgotten(long timestamp) {
    return timestamp < floor;
  }

  /**
   * Whether a key stamped at {@code timestamp} is too old to remember at {@code now}: past its
   * expiry, but not before the floor (such a key may have been forgotten: a replay).
   */
  public boolean tooOld(long timestamp, long now) {
    return !mayHaveForgotten(timestamp) && !keeps(timestamp, now);
  }

  /**
   * Puts a time window in force at {@code now}. If it is wider than every earlier one, keys are
   * kept longer from now on, and keys that the narrower retention may have forgotten by now
   * (stamped before {@code now - widest - 1}) are refused from now on.
   *
   * @return whether the retention changed (and should be persisted)
   */
  public boolean widen(Duration window, long now) {
    long w = window.getSeconds();
    if (w <= widestSeconds) {
      return false;
    }
    floor = Math.max(floor, now - widestSeconds - 1);
    widestSeconds = w;
    return true;
  }
}
