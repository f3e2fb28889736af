package org.knock.core;

import java.time.Instant;
import java.util.Arrays;

/**
 * Assembles a classic knock: ports in arrival order; the message is any subsequence of them, in
 * order, that ends with the newest port. Junk between real knocks costs C(n-1, 19) combinations.
 */
final class ClassicAssembler extends SequenceAssembler {
  private int[] values = new int[32];
  private int size;

  ClassicAssembler(KnockDecoder decoder, int source) {
    super(decoder, source);
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public void clear() {
    size = 0;
    tried = 0;
    exhausted = false;
  }

  @Override
  public void seed(int port) {
    DecoderSettings s = decoder.settings();
    if (s.mapping().inRange(port, s.basePort())) {
      append(s.mapping().value(port, s.basePort()));
    }
  }

  private void append(int value) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = value;
  }

  @Override
  public DecodeResult offer(int port, Instant now) {
    DecoderSettings s = decoder.settings();
    if (!s.mapping().inRange(port, s.basePort())) {
      return DecodeResult.INCOMPLETE;
    }
    if (exhausted) {
      return DecodeResult.rejected(Rejection.TOO_MANY_COMBINATIONS, 0);
    }
    append(s.mapping().value(port, s.basePort()));
    if (size < length) {
      return DecodeResult.INCOMPLETE;
    }
    int k = length - 1; // choose k of the first size-1 values, in order
    if (!budget(binomial(size - 1, k))) {
      return DecodeResult.rejected(Rejection.TOO_MANY_COMBINATIONS, 0);
    }
    int[] pick = new int[k];
    for (int i = 0; i < k; i++) {
      pick[i] = i;
    }
    byte[] msg = new byte[length];
    msg[k] = (byte) values[size - 1];
    Rejection[] worst = new Rejection[1];
    int n = 0;
    while (true) {
      for (int i = 0; i < k; i++) {
        msg[i] = (byte) values[pick[i]];
      }
      n++;
      tried++;
      Knock found = decoder.check(msg, source, now, worst);
      if (found != null) {
        return finish(found, n, worst);
      }
      // next combination in lexicographic order over 0..size-2
      int i = k - 1;
      while (i >= 0 && pick[i] == size - 1 - k + i) {
        i--;
      }
      if (i < 0) {
        return finish(null, n, worst);
      }
      pick[i]++;
      for (int j = i + 1; j < k; j++) {
        pick[j] = pick[j - 1] + 1;
      }
    }
  }

  static long binomial(int n, int k) {
    if (k < 0 || k > n) {
      return 0;
    }
    long r = 1;
    for (int i = 1; i <= k; i++) {
      r = r * (n - k + i) / i;
      if (r > Integer.MAX_VALUE) {
        return Long.MAX_VALUE / 2;
      }
    }
    return r;
  }
}
