package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The word-at-a-time searches against a byte-at-a-time loop, at every length and alignment. */
class ByteScanTest {
  @Test
  void indexOfAndLastIndexOfFindWhatALoopFinds() {
    Random random = new Random(17);
    for (int trial = 0; trial < 3000; trial++) {
      byte[] a = new byte[random.nextInt(70)];
      for (int i = 0; i < a.length; i++) { // few hits, bytes that differ from b by one bit, high bytes
        int r = random.nextInt(12);
        a[i] = (byte) (r == 0 ? '\n' : r == 1 ? '\n' ^ 0x80 : r == 2 ? 0x0B : r == 3 ? 0x8A
            : r == 4 ? 0 : r == 5 ? (byte) 0xFF : 'a' + random.nextInt(26));
      }
      int from = a.length == 0 ? 0 : random.nextInt(a.length + 1);
      int to = from + random.nextInt(a.length - from + 1);
      byte b = random.nextInt(4) == 0 ? (byte) 0x8A : (byte) '\n';
      assertThat(ByteScan.indexOf(a, from, to, b)).as("%s [%d, %d)", Arrays.toString(a), from, to)
          .isEqualTo(loopIndexOf(a, from, to, b));
      assertThat(ByteScan.lastIndexOf(a, from, to, b))
          .as("%s [%d, %d)", Arrays.toString(a), from, to).isEqualTo(loopLastIndexOf(a, from, to, b));
    }
  }

  @Test
  void aHitOutsideTheRangeIsNotFound() {
    byte[] a = "x\nabcdefghijklmnopqrstuvw\nx".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertThat(ByteScan.indexOf(a, 2, a.length - 2, (byte) '\n')).isEqualTo(-1);
    assertThat(ByteScan.lastIndexOf(a, 2, a.length - 2, (byte) '\n')).isEqualTo(-1);
    assertThat(ByteScan.indexOf(a, 2, a.length, (byte) '\n')).isEqualTo(a.length - 2);
    assertThat(ByteScan.lastIndexOf(a, 0, a.length - 2, (byte) '\n')).isEqualTo(1);
  }

  @Test
  void zeroBytesMarksExactlyTheZeroBytes() {
    Random random = new Random(5);
    for (int trial = 0; trial < 10_000; trial++) {
      long x = 0;
      long want = 0;
      for (int k = 0; k < 8; k++) {
        int v = random.nextInt(4) == 0 ? 0 : random.nextInt(4) == 0 ? 1 : random.nextInt(256);
        x |= (long) v << (8 * k);
        if (v == 0) {
          want |= 0x80L << (8 * k);
        }
      }
      assertThat(ByteScan.zeroBytes(x)).as("%016x", x).isEqualTo(want);
    }
  }

  private static int loopIndexOf(byte[] a, int from, int to, byte b) {
    for (int i = from; i < to; i++) {
      if (a[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static int loopLastIndexOf(byte[] a, int from, int to, byte b) {
    for (int i = to - 1; i >= from; i--) {
      if (a[i] == b) {
        return i;
      }
    }
    return -1;
  }
}
