package org.knock.core;

import java.time.Instant;

/** Assembles an indexed knock: per position, every distinct byte seen, in arrival order. */
final class IndexedAssembler extends SequenceAssembler {
  private final int[][] candidates;
  private final int[] counts;
  private int size;

  IndexedAssembler(KnockDecoder decoder, int source) {
    super(decoder, source);
    candidates = new int[length][];
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
    exhausted = false;
  }

  @Override
  public void seed(int port) {
    DecoderSettings s = decoder.settings();
    int pos = s.mapping().position(port, s.basePort());
    if (pos >= 0) {
      add(pos, s.mapping().value(port, s.basePort()));
    }
  }

  /** Adds a candidate; false if it was there already. */
  private boolean add(int pos, int value) {
    int[] c = candidates[pos];
    for (int i = 0; i < counts[pos]; i++) {
      if (c[i] == value) {
        return false;
      }
    }
    if (c == null) {
      c = candidates[pos] = new int[4];
    } else if (counts[pos] == c.length) {
      c = candidates[pos] = java.util.Arrays.copyOf(c, c.length * 2);
    }
    c[counts[pos]++] = value;
    size++;
    return true;
  }

  @Override
  public DecodeResult offer(int port, Instant now) {
    DecoderSettings s = decoder.settings();
    int pos = s.mapping().position(port, s.basePort());
    if (pos < 0) {
      return DecodeResult.INCOMPLETE;
    }
    int value = s.mapping().value(port, s.basePort());
    if (!add(pos, value)) {
      return DecodeResult.INCOMPLETE; // a duplicate adds no combination
    }
    long combos = 1;
    for (int i = 0; i < length; i++) {
      if (i != pos) {
        combos *= counts[i];
        if (combos == 0) {
          return DecodeResult.INCOMPLETE;
        }
        if (combos > Integer.MAX_VALUE) {
          break;
        }
      }
    }
    if (exhausted || !budget(combos)) {
      return DecodeResult.rejected(Rejection.TOO_MANY_COMBINATIONS, 0);
    }
    // odometer over every position but pos, which is fixed to the new value
    int[] idx = new int[length];
    byte[] msg = new byte[length];
    msg[pos] = (byte) value;
    Rejection[] worst = new Rejection[1];
    int n = 0;
    while (true) {
      for (int i = 0; i < length; i++) {
        if (i != pos) {
          msg[i] = (byte) candidates[i][idx[i]];
        }
      }
      n++;
      tried++;
      Knock k = decoder.check(msg, source, now, worst);
      if (k != null) {
        return finish(k, n, worst);
      }
      int i = 0;
      for (; i < length; i++) {
        if (i == pos) {
          continue;
        }
        if (++idx[i] < counts[i]) {
          break;
        }
        idx[i] = 0;
      }
      if (i == length) {
        return finish(null, n, worst);
      }
    }
  }
}
