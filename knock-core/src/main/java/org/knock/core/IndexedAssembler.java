package org.knock.core;

import java.time.Instant;

/**
 * Assembles an indexed knock: per position, every distinct byte seen, ordered by when it was last
 * seen (a repeated byte becomes the newest again). The newest-first message takes the newest byte
 * of every position; the depth search fixes the new byte at its position and walks the others
 * from newest to oldest, shallowest combinations first.
 *
 * <p>Memory: one packed {@code long} a candidate (time, kept flag, position, byte) in a single
 * array, in the order the candidates were last seen; a position's candidates are that array's
 * entries of the position, in the same order. The per-position view the depth search walks is
 * built only when every position holds a candidate, so a source that cannot complete a knock
 * (background scanning: a few ports) costs one small array. Not thread-safe.
 */
final class IndexedAssembler extends SequenceAssembler {
  /** An entry: time (ms) &lt;&lt; 17 | kept &lt;&lt; 16 | position &lt;&lt; 8 | byte. */
  private static final int TIME_SHIFT = 17;
  private static final long KEPT_BIT = 1L << 16;
  private static final int CELL = 0xFFFF; // position and byte: what identifies a candidate

  private long[] entries = NONE;
  private int size;
  /** Bit p set: position p holds at least one candidate. */
  private long covered;
  private final long full;
  /** The other length's assembler of the same ports ({@link TwoLengthAssembler}), or null. */
  IndexedAssembler twin;
  /** Messages whose tag verified here (their ports removed), for {@link TwoLengthAssembler}. */
  int verified;
  /** The position of the port being offered (in every message it checks, the newest), or -1. */
  private int offered = -1;
  /** The last newest-first message passed over a kept port: depth 0 is another message then. */
  private boolean newestSkippedKept;
  /**
   * Bit p set: the knock accepted last here took its byte at p from a kept port (an earlier
   * message's, that carried the same byte), so its own port there may still come, late or
   * reordered; {@link #late} takes it as kept then, not as junk that spoils the next checks. Only
   * for the next ports from this source, until another port comes, and within the window: a mark
   * left waiting could swallow a later knock's last port (a kept port is never a message's
   * newest), and only an accepted knock sets one (a replay an attacker completes with a kept port
   * would otherwise set one at will).
   */
  private long borrowed;
  private byte[] borrowedFrom;
  private long borrowedAt;

  private static final long[] NONE = new long[0];

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
    if (length > 64) {
      throw new IllegalArgumentException("at most 64 positions: " + length);
    }
    full = length == 64 ? -1L : (1L << length) - 1;
  }

  private static long entry(int pos, int value, long t) {
    return t << TIME_SHIFT | (long) pos << 8 | value;
  }

  private static int pos(long e) {
    return (int) (e >>> 8) & 0xFF;
  }

  private static int value(long e) {
    return (int) e & 0xFF;
  }

  private static long time(long e) {
    return e >> TIME_SHIFT;
  }

  private static boolean isKept(long e) {
    return (e & KEPT_BIT) != 0;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public void clear() {
    size = 0;
    covered = 0;
    kept = 0;
    borrowed = 0;
    tried = 0;
    pending = false;
    resetNewest();
  }

  @Override
  public void forgetBefore(long oldestMillis) {
    if (borrowedAt < oldestMillis) {
      borrowed = 0;
    }
    int keep = 0;
    long cover = 0;
    for (int i = 0; i < size; i++) {
      long e = entries[i];
      if (time(e) >= oldestMillis) {
        entries[keep++] = e;
        cover |= 1L << pos(e);
      } else if (isKept(e)) {
        kept--;
      }
    }
    size = keep;
    covered = cover;
    if (size == 0) {
      tried = 0;
    }
  }

  @Override
  public void forgetOldest(int n) {
    for (; n > 0 && size > 0; n--) {
      // the position whose oldest candidate is oldest (the lowest such position on a tie)
      long firsts = 0;
      int oldest = -1;
      for (int i = 0; i < size; i++) {
        long e = entries[i];
        int p = pos(e);
        if ((firsts & 1L << p) == 0) {
          firsts |= 1L << p;
          if (oldest < 0 || time(e) < time(entries[oldest])
              || time(e) == time(entries[oldest]) && p < pos(entries[oldest])) {
            oldest = i;
          }
        }
      }
      removeAt(oldest);
    }
    if (size == 0) {
      tried = 0;
    }
  }

  @Override
  public long oldestKeptMillis() {
    long oldest = Long.MAX_VALUE;
    for (int i = 0; i < size && kept > 0; i++) {
      if (isKept(entries[i])) {
        oldest = Math.min(oldest, time(entries[i]));
      }
    }
    return oldest;
  }

  /** The index of {@code value} at {@code pos} in {@link #entries}, or -1. */
  private int indexOf(int pos, int value) {
    int cell = pos << 8 | value;
    for (int i = 0; i < size; i++) {
      if (((int) entries[i] & CELL) == cell) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Makes {@code value} the newest candidate of {@code pos}; returns true if it is new there
   * (false: it was held already and has only moved up; a kept one is kept no longer).
   */
  private boolean add(int pos, int value, long t) {
    int i = indexOf(pos, value);
    if (i >= 0) {
      if (isKept(entries[i])) {
        kept--;
      }
      System.arraycopy(entries, i + 1, entries, i, size - i - 1);
      entries[size - 1] = entry(pos, value, t);
      return false;
    }
    if (size == entries.length) { // most sources hold a few candidates (a knock, noise)
      entries = java.util.Arrays.copyOf(entries, size < 4 ? size + 2 : size + (size >> 1));
    }
    entries[size++] = entry(pos, value, t);
    covered |= 1L << pos;
    return true;
  }

  private void removeAt(int i) {
    long e = entries[i];
    if (isKept(e)) {
      kept--;
    }
    System.arraycopy(entries, i + 1, entries, i, size - i - 1);
    size--;
    int p = pos(e);
    for (int j = 0; j < size; j++) {
      if (pos(entries[j]) == p) {
        return;
      }
    }
    covered &= ~(1L << p);
  }

  private void remove(int pos, int value) {
    int i = indexOf(pos, value);
    if (i >= 0) {
      removeAt(i);
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
    if (covered != full) {
      return false;
    }
    long seenAny = 0; // positions whose newest candidate was passed
    long found = 0; // positions settled: a free candidate, or the newest kept one of only kept
    long[] newestOf = new long[length]; // each position's newest candidate
    long newestFree = Long.MIN_VALUE;
    for (int i = size - 1; i >= 0 && found != full; i--) {
      long e = entries[i];
      int p = pos(e);
      long bit = 1L << p;
      if ((found & bit) != 0) {
        continue;
      }
      if ((seenAny & bit) == 0) {
        seenAny |= bit;
        newestOf[p] = e;
      }
      if (!isKept(e)) {
        found |= bit;
        newestSkippedKept |= newestOf[p] != e;
        newestFree = Math.max(newestFree, time(e));
        msg[p] = (byte) value(e);
      }
    }
    long newestKept = Long.MIN_VALUE;
    for (int p = 0; p < length; p++) { // positions with only kept candidates: their newest
      if ((found & 1L << p) == 0) {
        newestKept = Math.max(newestKept, time(newestOf[p]));
        msg[p] = (byte) value(newestOf[p]);
      }
    }
    return newestKept <= newestFree;
  }

  @Override
  void removeMessage(byte[] msg, boolean accepted, long now) {
    int newest = offered >= 0 ? offered : 0; // the position of the newest port: it is kept
    for (int i = 1; i < length && offered < 0; i++) { // an owed check: by arrival time
      if (time(entries[indexOf(i, msg[i] & 0xFF)])
          > time(entries[indexOf(newest, msg[newest] & 0xFF)])) {
        newest = i;
      }
    }
    borrowed = 0;
    for (int i = 0; i < length && accepted; i++) {
      int k = i == newest ? -1 : indexOf(i, msg[i] & 0xFF);
      if (k >= 0 && isKept(entries[k])) {
        borrowed |= 1L << i;
      }
    }
    if (borrowed != 0) {
      borrowedFrom = msg.clone();
      borrowedAt = now;
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
    if (k >= 0 && !isKept(entries[k])) {
      entries[k] |= KEPT_BIT;
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

  /**
   * True if {@code port} is the own port of the knock accepted last here, come right after it at
   * a position where a kept port had lent the knock its byte: then it is held as kept (it
   * belongs to a decided message). Once per position; any other port ends every mark.
   */
  boolean late(int port, Instant now) {
    if (borrowed == 0) {
      return false;
    }
    DecoderSettings s = decoder.settings();
    int pos = s.mapping().position(port, s.basePort(), length);
    if (pos < 0 || (borrowed & 1L << pos) == 0
        || (borrowedFrom[pos] & 0xFF) != s.mapping().value(port, s.basePort())) {
      borrowed = 0; // another port came first: a new knock, not the accepted one's straggler
      return false;
    }
    borrowed &= ~(1L << pos);
    keep(port, now);
    return true;
  }

  @Override
  boolean usesKept(byte[] msg) {
    for (int i = 0; i < length; i++) {
      int k = indexOf(i, msg[i] & 0xFF);
      if (k >= 0 && isKept(entries[k])) {
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
      return DecodeResult.INCOMPLETE;
    }
    if (late(port, now)) {
      return DecodeResult.INCOMPLETE;
    }
    offered = pos;
    try {
      return offer(pos, s.mapping().value(port, s.basePort()), now, allowance);
    } finally {
      offered = -1;
    }
  }

  private DecodeResult offer(int pos, int value, Instant now, CheckAllowance allowance) {
    boolean fresh = add(pos, value, now.toEpochMilli());
    if (covered != full) { // no message yet: most sources (background scanning) never get one
      newestSkippedKept = false;
      return DecodeResult.INCOMPLETE;
    }
    Attempt a = new Attempt(now, allowance);
    if (newest(a, a.msg) || !fresh) {
      return a.result(); // a repeated byte adds no combination: only the newest-first check
    }
    // depth search over the other positions, the new byte fixed at pos
    Candidates c = new Candidates();
    int[] depthLeft = new int[length + 1]; // most depth positions i.. can still take
    for (int i = length - 1; i >= 0; i--) {
      depthLeft[i] = depthLeft[i + 1] + (i == pos ? 0 : c.count(i) - 1);
    }
    for (int d = a.checkedNewest && !newestSkippedKept ? 1 : 0; d <= depthLeft[0]; d++) {
      int r = walk(a, c, pos, 0, d, depthLeft);
      if (r != 0) {
        break; // settled (verified tag) or budget spent
      }
    }
    return a.result();
  }

  /**
   * The candidates' bytes grouped by position, each position's oldest first: the view the depth
   * search walks, made for one offer (a verified tag ends the walk before the entries change).
   */
  private final class Candidates {
    /** Position p's bytes are {@code bytes[start[p]] .. bytes[start[p + 1] - 1]}. */
    final int[] start = new int[length + 1];
    final byte[] bytes = new byte[size];

    Candidates() {
      for (int i = 0; i < size; i++) {
        start[pos(entries[i]) + 1]++;
      }
      for (int p = 0; p < length; p++) {
        start[p + 1] += start[p];
      }
      int[] next = java.util.Arrays.copyOf(start, length);
      for (int i = 0; i < size; i++) {
        bytes[next[pos(entries[i])]++] = (byte) value(entries[i]);
      }
    }

    int count(int p) {
      return start[p + 1] - start[p];
    }

    /** Position p's candidate {@code k} places from its newest. */
    byte fromNewest(int p, int k) {
      return bytes[start[p + 1] - 1 - k];
    }
  }

  /**
   * Tries every combination whose depths from position {@code i} on add up to {@code d}, in the
   * order of the depths chosen at positions 0, 1, …; 0 to go on, 1 when a tag verified, -1 when
   * the budget or the allowance is spent. Branches that cannot spend {@code d} exactly (the
   * positions after {@code i} take at most {@code depthLeft[i + 1]}) are not entered.
   */
  private int walk(Attempt a, Candidates c, int pos, int i, int d, int[] depthLeft) {
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
    int most = i == pos ? 0 : Math.min(d, c.count(i) - 1);
    for (int k = least; k <= most; k++) {
      a.msg[i] = c.fromNewest(i, k); // positions 0..i-1 are set by the callers
      int r = walk(a, c, pos, i + 1, d - k, depthLeft);
      if (r != 0) {
        return r;
      }
    }
    return 0;
  }
}
