package org.knock.core;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * A replay cache in memory, kept by a {@link ReplayRetention}; {@link #prune} forgets keys whose
 * timestamp left the widest window. Not thread-safe.
 */
public final class InMemoryReplayCache implements ReplayCache {
  private final Map<ReplayKey, Boolean> seen = new HashMap<>();
  private final ReplayRetention retention;

  /** A cache for the default time window ({@link DecoderSettings#DEFAULT_TIME_WINDOW}). */
  public InMemoryReplayCache() {
    this(DecoderSettings.DEFAULT_TIME_WINDOW);
  }

  public InMemoryReplayCache(Duration window) {
    this.retention = ReplayRetention.of(window);
  }

  @Override
  public Result record(ReplayKey key) {
    if (retention.mayHaveForgotten(key.timestamp())) {
      return Result.ALREADY_SEEN;
    }
    return seen.putIfAbsent(key, Boolean.TRUE) == null ? Result.RECORDED : Result.ALREADY_SEEN;
  }

  @Override
  public Result record(ReplayKey key, long nowEpochSecond) {
    if (retention.tooOld(key.timestamp(), nowEpochSecond) && !seen.containsKey(key)) {
      return Result.TOO_OLD;
    }
    return record(key);
  }

  /** Puts a time window in force at {@code nowEpochSecond}; see {@link ReplayRetention#widen}. */
  public void widen(Duration window, long nowEpochSecond) {
    retention.widen(window, nowEpochSecond);
  }

  /** Forgets every key that {@link ReplayRetention#keeps} no longer at {@code nowEpochSecond}. */
  public void prune(long nowEpochSecond) {
    for (Iterator<ReplayKey> it = seen.keySet().iterator(); it.hasNext(); ) {
      if (!retention.keeps(it.next().timestamp(), nowEpochSecond)) {
        it.remove();
      }
    }
  }

  /** The keys remembered, with their expiry, in no particular order. */
  public Map<ReplayKey, Long> entries() {
    Map<ReplayKey, Long> m = new HashMap<>();
    for (ReplayKey k : seen.keySet()) {
      m.put(k, retention.expiry(k.timestamp()));
    }
    return Map.copyOf(m);
  }

  public int size() {
    return seen.size();
  }
}
