package org.knock.daemon.log;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Cuts a byte stream into lines at '\n' (dropping a '\r' before it), decoding each as UTF-8 with
 * replacement of bad bytes. A last line without its '\n' is held until the '\n' arrives. A line
 * longer than the maximum is delivered in pieces of the maximum length, so memory stays bounded.
 * Only lines (pieces) the sink's {@link LineFilter} wants are decoded and delivered; with a marker,
 * the bytes between its occurrences are never cut into lines at all.
 */
final class LineSplitter {
  static final int MAX_LINE = 64 * 1024;

  private byte[] partial = new byte[256];
  private int held;
  private LineFilter filter = LineFilter.ALL;

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
    filter = sink.filter();
    if (!filter.all()) {
      feedFiltered(a, from, to, sink);
      return;
    }
    int start = from;
    for (int i = indexOf(a, from, to); i >= 0; i = indexOf(a, start, to)) {
      if (held == 0) {
        emitPieces(a, start, i, sink);
      } else {
        hold(a, start, i, sink);
        emit(partial, 0, held, sink);
        held = 0;
      }
      start = i + 1;
    }
    hold(a, start, to, sink);
  }

  /** {@link #feed} for a filter with a marker: looks for the marker, then for its line. */
  private void feedFiltered(byte[] a, int from, int to, LineSink sink) {
    int start = from;
    if (held > 0) { // the held line's end comes first
      int nl = indexOf(a, from, to);
      if (nl < 0) {
        hold(a, from, to, sink);
        return;
      }
      hold(a, from, nl, sink);
      emit(partial, 0, held, sink);
      held = 0;
      start = nl + 1;
    }
    int end = ByteScan.lastIndexOf(a, start, to, (byte) '\n') + 1; // after the last '\n'
    if (end == 0) {
      end = start;
    }
    int p = start;
    while (p < end) {
      int m = filter.indexIn(a, p, end);
      if (m < 0) {
        break;
      }
      int lineStart = Math.max(p, ByteScan.lastIndexOf(a, p, m, (byte) '\n') + 1);
      int lineEnd = indexOf(a, m, end); // found: end - 1 holds a '\n'
      if (lineEnd - lineStart <= MAX_LINE) {
        deliver(a, lineStart, lineEnd, sink); // holds the marker: no second search
      } else {
        emitPieces(a, lineStart, lineEnd, sink);
      }
      p = lineEnd + 1;
    }
    hold(a, end, to, sink);
  }

  private static int indexOf(byte[] a, int from, int to) {
    return ByteScan.indexOf(a, from, to, (byte) '\n');
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
  private void emitPieces(byte[] a, int from, int to, LineSink sink) {
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
    filter = sink.filter();
    if (held > 0) {
      emit(partial, 0, held, sink);
      held = 0;
    }
  }

  private void emit(byte[] a, int from, int to, LineSink sink) {
    if (filter.wants(a, from, to)) {
      deliver(a, from, to, sink);
    }
  }

  /** Hands a[from, to) on as a line, without a '\r' at its end. */
  private static void deliver(byte[] a, int from, int to, LineSink sink) {
    sink.onLine(a, from, to > from && a[to - 1] == '\r' ? to - 1 : to);
  }
}
