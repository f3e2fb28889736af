package org.knock.core;

/**
 * Remembers accepted knocks until their timestamp leaves the widest time window the cache was
 * ever told of ({@link ReplayRetention}), so that none is accepted twice, whatever the window is
 * changed to later. knock-core keeps one in memory ({@link InMemoryReplayCache}); the daemon
 * persists its own, widest window included.
 */
public interface ReplayCache {
  /** What {@link #record} did. */
  enum Result {
    /**
     * The key was new and is now remembered.
     */
    RECORDED,
    /**
     * The key was already remembered: a replay. Also for a key stamped before what the cache can
     * vouch for (it may have been recorded and forgotten under a narrower window).
     */
    ALREADY_SEEN,
    /**
     * The key is stamped before the host's running kernel booted: a record made just before a
     * power loss may be lost, so a persistent cache cannot vouch for it and refuses it.
     */
    BEFORE_BOOT,
    /** The key could not be remembered durably: the knock must not be accepted. */
    STORE_FAILED,
    /**
     * The key is stamped before the widest window at the time given ({@link #record(ReplayKey,
     * long)}): a knock too old to accept under any window in force, which the cache would forget
     * at its next prune. Neither remembered nor written: a stale knock sent again and again (each
     * time after a prune, 250 ms in knockd) must not cost a write and an fdatasync each time.
     */
    TOO_OLD
  }

  /**
   * Atomically checks and remembers a knock. The cache decides how long to keep it, from {@link
   * ReplayKey#timestamp()} and its own widest time window.
   */
  Result record(ReplayKey key);

  /**
   * As {@link #record(ReplayKey)} at {@code nowEpochSecond}, but a key stamped before the cache's
   * widest window is {@link Result#TOO_OLD} (unless already remembered, or refused for another
   * reason), and nothing is remembered. By default: {@link #record(ReplayKey)}.
   */
  default Result record(ReplayKey key, long nowEpochSecond) {
    return record(key);
  }
}
