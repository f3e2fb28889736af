package org.knock.core;

import java.time.Instant;

/**
 * Assembles an indexed knock: per position, every distinct byte seen, ordered by when it was last
 * seen (a repeated byte becomes the newest again). The newest-first message takes the newest byte
 * of every position; the depth search fixes the new byte at its position and walks the others
 * from newest to oldest, shallowest combinations first.
 */
final class IndexedAssembler extends SequenceAssembler {
  private final int[][] values;
  private final long[][] seen;
  private final int[] counts;
  private int size;
  /** The other length's assembler of the same ports ({@link TwoLengthAssembler}), or null. */
  IndexedAssembler twin;
  /** Messages whose tag verified here (their ports removed), for {@link TwoLengthAssembler}. */
  int verified;

  IndexedAssembler(KnockDecoder decoder, int source, int destination) {
    this(decoder, source, destination, null, null);
  }

  IndexedAssembler(KnockDecoder decoder, int source, int destination, byte[] source6,
      byte[] destination6) {
    this(decoder, source, destination, source6, destination6, Sealer.MESSAGE_SIZE);
  }

  /** An assembler of {@code length}-byte messages (20, or 36: address mode 2). */
  IndexedAssembler(KnockDecoder decoder, int source, int destination, byte[] source6,
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
    java.util.Arrays.fill(counts, 0);
    size = 0;
    tried = 0;
    pending = false;
    resetNewest();
  }

  @Override
  public void forgetBefore(long oldestMillis) {
    for (int pos = 0; pos < length; pos++) {
      int keep = 0;
      for (int i = 0; i < counts[pos]; i++) {
        if (seen[pos][i] >= oldestMillis) {
          values[pos][keep] = values[pos][i];
          seen[pos][keep++] = seen[pos][i];
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
      remove(oldest, values[oldest][0]);
    }
    if (size == 0) {
      tried = 0;
    }
  }

  /**
   * Makes {@code value} the newest candidate of {@code pos}; returns true if it is new there
   * (false: it was held already and has only moved up).
   */
  private boolean add(int pos, int value, long t) {
    int n = counts[pos];
    int[] v = values[pos];
    for (int i = 0; i < n; i++) {
      if (v[i] == value) {
        System.arraycopy(v, i + 1, v, i, n - i - 1);
        System.arraycopy(seen[pos], i + 1, seen[pos], i, n - i - 1);
        v[n - 1] = value;
        seen[pos][n - 1] = t;
        return false;
      }
    }
    if (v == null) {
      v = values[pos] = new int[4];
      seen[pos] = new long[4];
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

  private void remove(int pos, int value) {
    int n = counts[pos];
    for (int i = 0; i < n; i++) {
      if (values[pos][i] == value) {
        System.arraycopy(values[pos], i + 1, values[pos], i, n - i - 1);
        System.arraycopy(seen[pos], i + 1, seen[pos], i, n - i - 1);
        counts[pos]--;
        size--;
        return;
      }
    }
  }

  @Override
  boolean newestMessage(byte[] msg) {
    for (int i = 0; i < length; i++) {
      if (counts[i] == 0) {
        return false;
      }
      msg[i] = (byte) values[i][counts[i] - 1];
    }
    return true;
  }

  @Override
  void removeMessage(byte[] msg) {
    for (int i = 0; i < length; i++) {
      remove(i, msg[i] & 0xFF);
    }
    verified++;
    if (twin != null) { // the verified message's ports leave the other length's sequence too
      for (int i = 0; i < Math.min(length, twin.length); i++) {
        twin.remove(i, msg[i] & 0xFF);
      }
      twin.resetNewest();
    }
  }

  @Override
  public DecodeResult offer(int port, Instant now, CheckAllowance allowance) {
    DecoderSettings s = decoder.settings();
    int pos = s.mapping().position(port, s.basePort(), length);
    if (pos < 0) {
      return DecodeResult.INCOMPLETE;
    }
    boolean fresh = add(pos, s.mapping().value(port, s.basePort()), now.toEpochMilli());
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
    for (int d = a.checkedNewest ? 1 : 0; d <= depthLeft[0]; d++) {
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
