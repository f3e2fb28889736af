package org.knock.core;

import java.time.Instant;

/**
 * The indexed assembler as it was up to commit 25cf74a (per-position arrays), kept as the
 * reference {@link IndexedAssembler}'s packed storage is checked against
 * ({@code IndexedAssemblerEquivalenceTest}): same checks, same order, same results.
 *
 * <p>Assembles an indexed knock: per position, every distinct byte seen, ordered by when it was last
 * seen (a repeated byte becomes the newest again). The newest-first message takes the newest byte
 * of every position; the depth search fixes the new byte at its position and walks the others
 * from newest to oldest, shallowest combinations first.
 */
final class ReferenceIndexedAssembler extends SequenceAssembler {
  private final int[][] values;
  private final long[][] seen;
  private final int[] counts;
  private int size;
  /** The other length's assembler of the same ports ({@link TwoLengthAssembler}), or null. */
  ReferenceIndexedAssembler twin;
  /** Messages whose tag verified here (their ports removed), for {@link TwoLengthAssembler}. */
  int verified;
  /** The position of the port being offered (in every message it checks, the newest), or -1. */
  private int offered = -1;
  /** The last newest-first message passed over a kept port: depth 0 is another message then. */
  private boolean newestSkippedKept;
  /** As IndexedAssembler's: positions of the last verified message that a kept port lent. */
  private long borrowed;
  private byte[] borrowedFrom;
  private long borrowedAt;

  ReferenceIndexedAssembler(KnockDecoder decoder, int source, int destination) {
    this(decoder, source, destination, null, null);
  }

  ReferenceIndexedAssembler(KnockDecoder decoder, int source, int destination, byte[] source6,
      byte[] destination6) {
    this(decoder, source, destination, source6, destination6, Sealer.MESSAGE_SIZE);
  }

  /** An assembler of {@code length}-byte messages (20, or 36: address mode 2). */
  ReferenceIndexedAssembler(KnockDecoder decoder, int source, int destination, byte[] source6,
      byte[] destination6, int length) {
    super(decoder, source, destination, source6, destination6, length);
    values = new int[length][];
    seen = new long[length][];
    counts = new int[length];
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public void clear() {
    borrowed = 0;
    java.util.Arrays.fill(counts, 0);
    size = 0;
    kept = 0;
    tried = 0;
    pending = false;
    resetNewest();
  }

  @Override
  public void forgetBefore(long oldestMillis) {
    if (borrowedAt < oldestMillis) {
      borrowed = 0;
    }
    for (int pos = 0; pos < length; pos++) {
      int keep = 0;
      for (int i = 0; i < counts[pos]; i++) {
        if (seen[pos][i] >= oldestMillis) {
          values[pos][keep] = values[pos][i];
          seen[pos][keep++] = seen[pos][i];
        } else if ((values[pos][i] & KEPT) != 0) {
          kept--;
        }
      }
      if (keep != counts[pos]) {
        size -= counts[pos] - keep;
        counts[pos] = keep;
      }
    }
    if (size == 0) {
      tried = 0;
    }
  }

  @Override
  public void forgetOldest(int n) {
    for (; n > 0 && size > 0; n--) {
      int oldest = -1;
      for (int pos = 0; pos < length; pos++) {
        if (counts[pos] > 0 && (oldest < 0 || seen[pos][0] < seen[oldest][0])) {
          oldest = pos;
        }
      }
      remove(oldest, values[oldest][0] & 0xFF);
    }
    if (size == 0) {
      tried = 0;
    }
  }

  @Override
  public long oldestKeptMillis() {
    long oldest = Long.MAX_VALUE;
    for (int pos = 0; pos < length; pos++) {
      for (int i = 0; i < counts[pos]; i++) {
        if ((values[pos][i] & KEPT) != 0) {
          oldest = Math.min(oldest, seen[pos][i]);
        }
      }
    }
    return oldest;
  }

  /**
   * Makes {@code value} the newest candidate of {@code pos}; returns true if it is new there
   * (false: it was held already and has only moved up; a kept one is kept no longer).
   */
  private boolean add(int pos, int value, long t) {
    int n = counts[pos];
    int[] v = values[pos];
    for (int i = 0; i < n; i++) {
      if ((v[i] & 0xFF) == value) {
        if ((v[i] & KEPT) != 0) {
          kept--;
        }
        System.arraycopy(v, i + 1, v, i, n - i - 1);
        System.arraycopy(seen[pos], i + 1, seen[pos], i, n - i - 1);
        v[n - 1] = value;
        seen[pos][n - 1] = t;
        return false;
      }
    }
    if (v == null) { // one to start: most sources hold one candidate a position (a knock, noise)
      v = values[pos] = new int[1];
      seen[pos] = new long[1];
    } else if (n == v.length) {
      v = values[pos] = java.util.Arrays.copyOf(v, n * 2);
      seen[pos] = java.util.Arrays.copyOf(seen[pos], n * 2);
    }
    v[n] = value;
    seen[pos][n] = t;
    counts[pos]++;
    size++;
    return true;
  }

  /** The index of {@code value} among the candidates of {@code pos}, or -1. */
  private int indexOf(int pos, int value) {
    for (int i = 0; i < counts[pos]; i++) {
      if ((values[pos][i] & 0xFF) == value) {
        return i;
      }
    }
    return -1;
  }

  private void remove(int pos, int value) {
    int n = counts[pos];
    for (int i = 0; i < n; i++) {
      if ((values[pos][i] & 0xFF) == value) {
        if ((values[pos][i] & KEPT) != 0) {
          kept--;
        }
        System.arraycopy(values[pos], i + 1, values[pos], i, n - i - 1);
        System.arraycopy(seen[pos], i + 1, seen[pos], i, n - i - 1);
        counts[pos]--;
        size--;
        return;
      }
    }
  }

  /**
   * The newest candidate of every position, a kept one only where it is the position's only one:
   * a kept port rarely belongs to a later message, and when it does the depth search finds it.
   * None if a kept port would be the message's newest (see {@link SequenceAssembler}).
   */
  @Override
  boolean newestMessage(byte[] msg) {
    newestSkippedKept = false;
    long newestFree = Long.MIN_VALUE;
    long newestKept = Long.MIN_VALUE;
    for (int i = 0; i < length; i++) {
      int n = counts[i];
      if (n == 0) {
        return false;
      }
      int k = n - 1;
      while (k > 0 && (values[i][k] & KEPT) != 0) {
        k--;
      }
      if ((values[i][k] & KEPT) != 0) {
        k = n - 1;
        newestKept = Math.max(newestKept, seen[i][k]);
      } else {
        newestFree = Math.max(newestFree, seen[i][k]);
      }
      newestSkippedKept |= k != n - 1;
      msg[i] = (byte) values[i][k];
    }
    return newestKept <= newestFree;
  }

  @Override
  void removeMessage(byte[] msg, boolean accepted, long now) {
    int newest = offered >= 0 ? offered : 0; // the position of the newest port: it is kept
    for (int i = 1; i < length && offered < 0; i++) { // an owed check: by arrival time
      if (seen[i][indexOf(i, msg[i] & 0xFF)] > seen[newest][indexOf(newest, msg[newest] & 0xFF)]) {
        newest = i;
      }
    }
    borrowed = 0; // the positions whose byte a kept port lent: see IndexedAssembler.late
    for (int i = 0; i < length && accepted; i++) {
      int k = i == newest ? -1 : indexOf(i, msg[i] & 0xFF);
      if (k >= 0 && (values[i][k] & KEPT) != 0) {
        borrowed |= 1L << i;
        borrowedFrom = msg.clone();
        borrowedAt = now;
      }
    }
    removeAllBut(msg, length, newest);
    verified++;
    if (twin != null) { // the verified message's ports leave the other length's sequence too
      twin.borrowed = 0;
      twin.removeAllBut(msg, Math.min(length, twin.length), newest);
      twin.resetNewest();
    }
  }

  /** Removes the first {@code n} bytes of {@code msg} but for the one at {@code keep}: kept. */
  private void removeAllBut(byte[] msg, int n, int keep) {
    for (int i = 0; i < n; i++) {
      if (i != keep) {
        remove(i, msg[i] & 0xFF);
      }
    }
    if (keep < n) {
      markKept(keep, msg[keep] & 0xFF);
    }
  }

  /** Flags {@code value} at {@code pos}, if held there, as kept. */
  private void markKept(int pos, int value) {
    int k = indexOf(pos, value);
    if (k >= 0 && (values[pos][k] & KEPT) == 0) {
      values[pos][k] |= KEPT;
      kept++;
    }
  }

  /**
   * Holds {@code port} as a kept port: the newest port of a message that verified on the other
   * length's side ({@link TwoLengthAssembler}) before this side was offered it.
   */
  void keep(int port, Instant now) {
    DecoderSettings s = decoder.settings();
    int pos = s.mapping().position(port, s.basePort(), length);
    if (pos < 0) {
      return;
    }
    int value = s.mapping().value(port, s.basePort());
    add(pos, value, now.toEpochMilli());
    markKept(pos, value);
    resetNewest();
  }

  @Override
  boolean usesKept(byte[] msg) {
    for (int i = 0; i < length; i++) {
      int k = indexOf(i, msg[i] & 0xFF);
      if (k >= 0 && (values[i][k] & KEPT) != 0) {
        return true;
      }
    }
    return false;
  }

  @Override
  public DecodeResult offer(int port, Instant now, CheckAllowance allowance) {
    DecoderSettings s = decoder.settings();
    int pos = s.mapping().position(port, s.basePort(), length);
    if (pos < 0) {
      borrowed = 0; // any other port ends the marks
      return DecodeResult.INCOMPLETE;
    }
    int value = s.mapping().value(port, s.basePort());
    if ((borrowed & 1L << pos) != 0 && (borrowedFrom[pos] & 0xFF) == value) {
      borrowed &= ~(1L << pos); // the accepted knock's own port, late: kept
      keep(port, now);
      return DecodeResult.INCOMPLETE;
    }
    borrowed = 0; // any other port ends the marks
    offered = pos;
    try {
      return offer(pos, value, now, allowance);
    } finally {
      offered = -1;
    }
  }

  private DecodeResult offer(int pos, int value, Instant now, CheckAllowance allowance) {
    boolean fresh = add(pos, value, now.toEpochMilli());
    Attempt a = new Attempt(now, allowance);
    if (newest(a, a.msg) || !fresh) {
      return a.result(); // a repeated byte adds no combination: only the newest-first check
    }
    // depth search over the other positions, the new byte fixed at pos
    for (int i = 0; i < length; i++) {
      if (counts[i] == 0) {
        return a.result();
      }
    }
    int[] depthLeft = new int[length + 1]; // most depth positions i.. can still take
    for (int i = length - 1; i >= 0; i--) {
      depthLeft[i] = depthLeft[i + 1] + (i == pos ? 0 : counts[i] - 1);
    }
    for (int d = a.checkedNewest && !newestSkippedKept ? 1 : 0; d <= depthLeft[0]; d++) {
      int r = walk(a, pos, 0, d, depthLeft);
      if (r != 0) {
        break; // settled (verified tag) or budget spent
      }
    }
    return a.result();
  }

  /**
   * Tries every combination whose depths from position {@code i} on add up to {@code d}, in the
   * order of the depths chosen at positions 0, 1, …; 0 to go on, 1 when a tag verified, -1 when
   * the budget or the allowance is spent. Branches that cannot spend {@code d} exactly (the
   * positions after {@code i} take at most {@code depthLeft[i + 1]}) are not entered.
   */
  private int walk(Attempt a, int pos, int i, int d, int[] depthLeft) {
    if (i == length) {
      if (d != 0) { // never with exact bounds: depthLeft only spares the walk dead branches
        return 0;
      }
      if (!takeCombination(a)) {
        return -1;
      }
      return a.check(a.msg) ? 1 : 0;
    }
    // positions i+1.. can take at most depthLeft[i + 1]: fewer than d - that here leads nowhere
    int least = Math.max(0, d - depthLeft[i + 1]);
    int most = i == pos ? 0 : Math.min(d, counts[i] - 1);
    int[] v = values[i];
    int newest = counts[i] - 1;
    for (int k = least; k <= most; k++) {
      a.msg[i] = (byte) v[newest - k]; // positions 0..i-1 are set by the callers
      int r = walk(a, pos, i + 1, d - k, depthLeft);
      if (r != 0) {
        return r;
      }
    }
    return 0;
  }
}
