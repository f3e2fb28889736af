package org.knock.core;

import java.time.Instant;
import java.util.Arrays;

/**
 * Assembles a classic knock: ports in arrival order; the message is any subsequence of them, in
 * order, that ends with the newest port. The newest-first message is the last ports in a row; the
 * depth search looks at subsequences that skip {@code d} ports among the last ones, d = 1, 2, …
 */
final class ClassicAssembler extends SequenceAssembler {
  private int[] values = new int[32];
  private long[] seen = new long[32];
  private int size;
  /** The indices the message being checked was made of. */
  private final int[] picked;
  /** The last newest-first message passed over a kept port: depth 0 is another message then. */
  private boolean newestSkippedKept;

  ClassicAssembler(KnockDecoder decoder, int source, int destination) {
    this(decoder, source, destination, null, null);
  }

  ClassicAssembler(KnockDecoder decoder, int source, int destination, byte[] source6,
      byte[] destination6) {
    super(decoder, source, destination, source6, destination6);
    picked = new int[length];
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public void clear() {
    size = 0;
    kept = 0;
    tried = 0;
    pending = false;
    resetNewest();
  }

  @Override
  public void forgetBefore(long oldestMillis) {
    // every port seen before, not only the run at the front: after the clock was set back the
    // front may hold a port "from the future" that would shield everything behind it
    int keep = 0;
    for (int i = 0; i < size; i++) {
      if (seen[i] >= oldestMillis) {
        values[keep] = values[i];
        seen[keep++] = seen[i];
      } else if ((values[i] & KEPT) != 0) {
        kept--;
      }
    }
    size = keep;
    if (size == 0) {
      tried = 0;
    }
  }

  @Override
  public void forgetOldest(int n) {
    int drop = Math.min(n, size);
    dropKept(drop);
    System.arraycopy(values, drop, values, 0, size - drop);
    System.arraycopy(seen, drop, seen, 0, size - drop);
    size -= drop;
    if (size == 0) {
      tried = 0;
    }
  }

  @Override
  public long oldestKeptMillis() {
    long oldest = Long.MAX_VALUE;
    for (int i = 0; i < size && kept > 0; i++) {
      if ((values[i] & KEPT) != 0) {
        oldest = Math.min(oldest, seen[i]);
      }
    }
    return oldest;
  }

  /** Counts the kept ports among the {@code n} oldest, which are about to go. */
  private void dropKept(int n) {
    for (int i = 0; i < n; i++) {
      if ((values[i] & KEPT) != 0) {
        kept--;
      }
    }
  }

  private void append(int value, long t) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
      seen = Arrays.copyOf(seen, size * 2);
    }
    values[size] = value;
    seen[size++] = t;
  }

  /**
   * The last ports in a row, passing over kept ones if enough others are held: a kept port rarely
   * belongs to a later message, and when it does the depth search finds it. None if a kept port
   * would be the message's newest (see {@link SequenceAssembler}).
   */
  @Override
  boolean newestMessage(byte[] msg) {
    newestSkippedKept = false;
    if (size < length) {
      return false;
    }
    int p = length;
    for (int i = size - 1; i >= 0 && p > 0; i--) {
      if ((values[i] & KEPT) == 0) {
        picked[--p] = i;
      }
    }
    newestSkippedKept = p == 0 && picked[0] != size - length;
    for (int i = 0; i < length; i++) {
      if (!newestSkippedKept) {
        picked[i] = size - length + i;
      }
      msg[i] = (byte) values[picked[i]];
    }
    return (values[picked[length - 1]] & KEPT) == 0;
  }

  @Override
  void removeMessage(byte[] msg, boolean accepted, long now) {
    int newest = picked[length - 1]; // the message's newest port is kept
    if ((values[newest] & KEPT) == 0) {
      values[newest] |= KEPT;
      kept++;
    }
    int keep = 0;
    int p = 0;
    for (int i = 0; i < size; i++) {
      if (p < length && picked[p] == i) {
        p++;
        if (i != newest) {
          if ((values[i] & KEPT) != 0) {
            kept--;
          }
          continue;
        }
      }
      values[keep] = values[i];
      seen[keep++] = seen[i];
    }
    size = keep;
  }

  @Override
  boolean usesKept(byte[] msg) {
    for (int i = 0; i < length; i++) {
      if ((values[picked[i]] & KEPT) != 0) {
        return true;
      }
    }
    return false;
  }

  @Override
  public DecodeResult offer(int port, Instant now, CheckAllowance allowance) {
    DecoderSettings s = decoder.settings();
    if (!s.mapping().inRange(port, s.basePort())) {
      return DecodeResult.INCOMPLETE;
    }
    append(s.mapping().value(port, s.basePort()), now.toEpochMilli());
    Attempt a = new Attempt(now, allowance);
    if (size < length || newest(a, a.msg)) {
      return a.result();
    }
    int k = length - 2; // besides the newest port and the earliest of the window
    int[] pick = new int[k];
    for (int d = a.checkedNewest && !newestSkippedKept ? 1 : 0; d <= size - length; d++) {
      int first = size - length - d; // the window's earliest index, always taken
      int w = k + d; // choose k of the w indices first+1 .. size-2
      for (int i = 0; i < k; i++) {
        pick[i] = i;
      }
      while (true) {
        picked[0] = first;
        for (int i = 0; i < k; i++) {
          picked[i + 1] = first + 1 + pick[i];
        }
        picked[length - 1] = size - 1;
        for (int i = 0; i < length; i++) {
          a.msg[i] = (byte) values[picked[i]];
        }
        if (!takeCombination(a) || a.check(a.msg)) {
          return a.result();
        }
        int i = k - 1;
        while (i >= 0 && pick[i] == w - k + i) {
          i--;
        }
        if (i < 0) {
          break;
        }
        pick[i]++;
        for (int j = i + 1; j < k; j++) {
          pick[j] = pick[j - 1] + 1;
        }
      }
    }
    return a.result();
  }
}
