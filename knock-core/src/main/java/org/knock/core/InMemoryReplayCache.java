package org.knock.core;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/** A replay cache in memory; {@link #prune} forgets expired keys. Not thread-safe. */
public final class InMemoryReplayCache implements ReplayCache {
  private final Map<ReplayKey, Long> seen = new HashMap<>();

  @Override
  public Result record(ReplayKey key, long expiresAt) {
    return seen.putIfAbsent(key, expiresAt) == null ? Result.RECORDED : Result.ALREADY_SEEN;
  }

  /** Forgets every key that expired before {@code nowEpochSecond}. */
  public void prune(long nowEpochSecond) {
    for (Iterator<Long> it = seen.values().iterator(); it.hasNext(); ) {
      if (it.next() < nowEpochSecond) {
        it.remove();
      }
    }
  }

  /** The keys remembered, with their expiry, in no particular order. */
  public Map<ReplayKey, Long> entries() {
    return Map.copyOf(seen);
  }

  public int size() {
    return seen.size();
  }
}
