package org.knock.daemon.log;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Cuts a byte stream into lines at '\n' (dropping a '\r' before it), decoding each as UTF-8 with
 * replacement of bad bytes. A last line without its '\n' is held until the '\n' arrives. A line
 * longer than the maximum is delivered in pieces of the maximum length, so memory stays bounded.
 */
final class LineSplitter {
  static final int MAX_LINE = 64 * 1024;

  private byte[] partial = new byte[256];
  private int held;

  /**
   * Feeds buf's remaining bytes; whole lines go to the sink. A line that lies wholly in buf is
   * decoded from buf's array, without a copy.
   */
  void feed(ByteBuffer buf, LineSink sink) {
    byte[] a;
    int from;
    int to;
    if (buf.hasArray()) {
      a = buf.array();
      from = buf.arrayOffset() + buf.position();
      to = buf.arrayOffset() + buf.limit();
      buf.position(buf.limit());
    } else {
      a = new byte[buf.remaining()];
      buf.get(a);
      from = 0;
      to = a.length;
    }
    int start = from;
    for (int i = from; i < to; i++) {
      if (a[i] == '\n') {
        if (held == 0) {
          emitPieces(a, start, i, sink);
        } else {
          hold(a, start, i, sink);
          emit(partial, 0, held, sink);
          held = 0;
        }
        start = i + 1;
      }
    }
    hold(a, start, to, sink);
  }

  /** Appends a[from, to) to the held bytes, delivering full pieces of MAX_LINE on the way. */
  private void hold(byte[] a, int from, int to, LineSink sink) {
    while (from < to) {
      if (held == partial.length) {
        if (held >= MAX_LINE) {
          emit(partial, 0, held, sink);
          held = 0;
        } else {
          partial = Arrays.copyOf(partial, Math.min(MAX_LINE, held * 2));
        }
      }
      int n = Math.min(to - from, partial.length - held);
      System.arraycopy(a, from, partial, held, n);
      held += n;
      from += n;
    }
  }

  /** Delivers a[from, to) as one line, or as pieces of MAX_LINE if it is longer. */
  private static void emitPieces(byte[] a, int from, int to, LineSink sink) {
    while (to - from > MAX_LINE) {
      emit(a, from, from + MAX_LINE, sink);
      from += MAX_LINE;
    }
    emit(a, from, to, sink);
  }

  /** True when bytes of an unfinished line are held. */
  boolean holdsPartial() {
    return held > 0;
  }

  /** Delivers the held unfinished line, if any, as a line (used when its file is given up). */
  void flush(LineSink sink) {
    if (held > 0) {
      emit(partial, 0, held, sink);
      held = 0;
    }
  }

  private static void emit(byte[] a, int from, int to, LineSink sink) {
    int len = to > from && a[to - 1] == '\r' ? to - from - 1 : to - from;
    sink.onLine(new String(a, from, len, StandardCharsets.UTF_8));
  }
}
