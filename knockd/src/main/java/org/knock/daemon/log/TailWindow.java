package org.knock.daemon.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * The last bytes read from a file (up to {@link #SIZE}), to check cheaply that the file still
 * holds what was read: after a truncation and regrowth, or in a rotated copy.
 */
final class TailWindow {
  static final int SIZE = 256;

  private final byte[] bytes = new byte[SIZE];
  private int length;

  int length() {
    return length;
  }

  void clear() {
    length = 0;
  }

  /** Appends src[off, off+n) as the newest bytes read. */
  void append(byte[] src, int off, int n) {
    if (n >= SIZE) {
      System.arraycopy(src, off + n - SIZE, bytes, 0, SIZE);
      length = SIZE;
      return;
    }
    int keep = Math.min(length, SIZE - n);
    System.arraycopy(bytes, length - keep, bytes, 0, keep);
    System.arraycopy(src, off, bytes, keep, n);
    length = keep + n;
  }

  /** Loads the window from ch's bytes just before position. */
  void load(FileChannel ch, long position) throws IOException {
    int n = (int) Math.min(SIZE, position);
    ByteBuffer buf = ByteBuffer.wrap(bytes, 0, n);
    readFully(ch, buf, position - n);
    length = buf.hasRemaining() ? 0 : n;
  }

  /** True when ch holds these bytes just before position. */
  boolean matches(FileChannel ch, long position) throws IOException {
    if (position < length) {
      return false;
    }
    ByteBuffer buf = ByteBuffer.allocate(length);
    readFully(ch, buf, position - length);
    return !buf.hasRemaining() && Arrays.equals(buf.array(), 0, length, bytes, 0, length);
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long at) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, at);
      if (n <= 0) {
        return;
      }
      at += n;
    }
  }
}
