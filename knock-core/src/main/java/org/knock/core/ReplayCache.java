package org.knock.core;

/**
 * Remembers accepted knocks until their timestamp leaves the time window, so that none is accepted
 * twice. knock-core keeps one in memory ({@link InMemoryReplayCache}); the daemon persists its own.
 */
public interface ReplayCache {
  /** What {@link #record} did. */
  enum Result {
    /** The key was new and is now remembered. */
    RECORDED,
    /** The key was already remembered: a replay. */
    ALREADY_SEEN,
    /** The key could not be remembered durably: the knock must not be accepted. */
    STORE_FAILED
  }

  /**
   * Atomically checks and remembers a knock.
   *
   * @param key the knock
   * @param expiresAt Unix second after which the key may be forgotten
   */
  Result record(ReplayKey key, long expiresAt);
}
