package org.knock.daemon.firewall;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knock.core.Durations;

/** The end time of each current grant, for backends that expire grants themselves. Not thread-safe. */
final class GrantBook {
  private final Map<Access, Instant> ends = new LinkedHashMap<>();

  /** Checks a grant's duration: positive and at most 16383 days. */
  static Duration checked(Duration duration) {
    if (duration.isNegative() || duration.isZero() || duration.compareTo(Durations.MAX) > 0) {
      throw new IllegalArgumentException("bad grant duration " + duration
          + ": use more than zero and at most " + Durations.MAX_COUNT + " days");
    }
    return duration;
  }

  /** The end of a grant, or null. */
  Instant end(Access access) {
    return ends.get(access);
  }

  void put(Access access, Instant end) {
    ends.put(access, end);
  }

  void remove(Access access) {
    ends.remove(access);
  }

  /** The grants whose end is at or before {@code now}, earliest first (not removed). */
  List<Access> due(Instant now) {
    List<Map.Entry<Access, Instant>> due = new ArrayList<>();
    for (Map.Entry<Access, Instant> e : ends.entrySet()) {
      if (!e.getValue().isAfter(now)) {
        due.add(e);
      }
    }
    due.sort(Map.Entry.comparingByValue());
    return due.stream().map(Map.Entry::getKey).toList();
  }

  /** How a backend removes one grant from the firewall. */
  interface Removal {
    void remove(Access access, Instant end) throws FirewallException;
  }

  /**
   * Removes every due grant with {@code removal}, earliest first, and forgets it. A failed removal
   * stays in the book (tried again next time); the first failure is thrown after the others were
   * tried, listing the grants that were removed.
   */
  List<Access> expire(Instant now, Removal removal) throws FirewallException {
    List<Access> done = new ArrayList<>();
    String failure = null;
    for (Access access : due(now)) {
      try {
        removal.remove(access, ends.get(access));
        ends.remove(access);
        done.add(access);
      } catch (FirewallException e) {
        failure = failure == null ? e.getMessage() : failure;
      }
    }
    if (failure != null) {
      throw new FirewallException("cannot expire a grant: " + failure, done);
    }
    return done;
  }

  /** Every current grant and its end. */
  Map<Access, Instant> all() {
    return Map.copyOf(ends);
  }

  void clear() {
    ends.clear();
  }
}
