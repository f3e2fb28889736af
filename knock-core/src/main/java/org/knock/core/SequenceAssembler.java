package org.knock.core;

import java.time.Instant;

/**
 * The ports one source has sent into the knock range, offered one at a time as they are seen.
 * Each offer tries only the combinations the new port makes possible, so every combination is
 * tried at most once, and a sequence costs at most {@code maxCombinations} message checks (times
 * the number of users) in all. Candidates are never overwritten: a spoofed port for a position
 * adds a combination instead of destroying the real one. After an accepted knock the assembler is
 * empty again. Not thread-safe.
 */
public abstract class SequenceAssembler {
  final KnockDecoder decoder;
  final int source;
  final int length;
  int tried;
  boolean exhausted;

  SequenceAssembler(KnockDecoder decoder, int source) {
    this.decoder = decoder;
    this.source = source;
    this.length = decoder.settings().mapping().length();
  }

  /** The source address (IPv4 as int). */
  public int source() {
    return source;
  }

  /** Combinations tried so far. */
  public int combinationsTried() {
    return tried;
  }

  /** Number of distinct ports held. */
  public abstract int size();

  /** Forgets every port, and the combinations tried. */
  public abstract void clear();

  /**
   * Adds a port without trying any combination: for rebuilding a sequence from ports whose
   * combinations were tried before (a sliding window that dropped its oldest ports).
   */
  public abstract void seed(int port);

  /**
   * Adds a destination port seen from this source and tries the new combinations.
   *
   * @param port the destination port; ports outside the knock range are ignored
   * @param now the daemon's clock, for the time window
   */
  public abstract DecodeResult offer(int port, Instant now);

  /** Checks {@code n} new combinations against the budget; false (and exhausted) if over. */
  boolean budget(long n) {
    if (tried + n > decoder.settings().maxCombinations()) {
      exhausted = true;
      return false;
    }
    return true;
  }

  DecodeResult finish(Knock k, int combos, Rejection[] worst) {
    if (k != null) {
      clear();
      return DecodeResult.accepted(k, combos);
    }
    return DecodeResult.rejected(worst[0] == null ? Rejection.BAD_TAG : worst[0], combos);
  }
}
