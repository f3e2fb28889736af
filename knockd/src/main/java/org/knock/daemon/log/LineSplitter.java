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

  /** Feeds buf's remaining bytes; whole lines go to the sink. */
  void feed(ByteBuffer buf, LineSink sink) {
    while (buf.hasRemaining()) {
      byte b = buf.get();
      if (b == '\n') {
        emit(sink);
      } else {
        if (held == partial.length) {
          if (held >= MAX_LINE) {
            emit(sink);
          } else {
            partial = Arrays.copyOf(partial, Math.min(MAX_LINE, held * 2));
          }
        }
        partial[held++] = b;
      }
    }
  }

  /** True when bytes of an unfinished line are held. */
  boolean holdsPartial() {
    return held > 0;
  }

  /** Delivers the held unfinished line, if any, as a line (used when its file is given up). */
  void flush(LineSink sink) {
    if (held > 0) {
      emit(sink);
    }
  }

  private void emit(LineSink sink) {
    int len = held > 0 && partial[held - 1] == '\r' ? held - 1 : held;
    held = 0;
    sink.onLine(new String(partial, 0, len, StandardCharsets.UTF_8));
  }
}
