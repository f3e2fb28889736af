package org.knock.daemon.log;

import java.nio.charset.StandardCharsets;

/**
 * A line of ASCII bytes seen as characters without a copy: what the parser reads in place of a
 * String built for every packet line. It views bytes the caller owns and reuses, so it is valid
 * only until the caller's next line: whatever is kept must be {@link #toString} or
 * {@link #subSequence}, both copies. Only ASCII ({@link #isAscii}): other bytes are UTF-8, which
 * a String decodes. Not thread-safe.
 */
public final class AsciiLine implements CharSequence {
  private byte[] bytes = new byte[0];
  private int from;
  private int length;

  /** True if a[from, to) holds no byte above 0x7F. */
  public static boolean isAscii(byte[] a, int from, int to) {
    return ByteScan.isAscii(a, from, to);
  }

  /** Views a[from, to), which must be ASCII; returns this. */
  public AsciiLine set(byte[] a, int from, int to) {
    this.bytes = a;
    this.from = from;
    this.length = to - from;
    return this;
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public char charAt(int index) {
    if (index < 0 || index >= length) {
      throw new IndexOutOfBoundsException(index);
    }
    return (char) bytes[from + index];
  }

  /** The first index of c at or after {@code at}, or {@link #length} if there is none. */
  int indexOf(char c, int at) {
    if (c > 0x7F) {
      return length;
    }
    int k = ByteScan.indexOf(bytes, from + Math.max(at, 0), from + length, (byte) c);
    return k < 0 ? length : k - from;
  }

  /** A copy: a String. */
  @Override
  public CharSequence subSequence(int start, int end) {
    if (start < 0 || end > length || start > end) {
      throw new IndexOutOfBoundsException("[" + start + ", " + end + ") of " + length);
    }
    return new String(bytes, from + start, end - start, StandardCharsets.ISO_8859_1);
  }

  /** A copy of the line. */
  @Override
  public String toString() {
    return new String(bytes, from, length, StandardCharsets.ISO_8859_1);
  }
}
