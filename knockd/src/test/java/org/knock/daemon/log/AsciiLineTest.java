package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AsciiLineTest {
  @Test
  void aByteAboveSevenBitsAnywhereMakesALineNotAscii() {
    for (int len = 0; len <= 20; len++) {
      byte[] a = new byte[len + 6];
      java.util.Arrays.fill(a, (byte) 'x');
      a[0] = (byte) 0xC3; // outside the range asked about
      a[len + 5] = (byte) 0xA9;
      assertThat(AsciiLine.isAscii(a, 3, 3 + len)).as("length %d", len).isTrue();
      for (int p = 0; p < len; p++) {
        a[3 + p] = (byte) 0x80;
        assertThat(AsciiLine.isAscii(a, 3, 3 + len)).as("length %d, at %d", len, p).isFalse();
        a[3 + p] = (byte) 0xFF;
        assertThat(AsciiLine.isAscii(a, 3, 3 + len)).as("length %d, at %d", len, p).isFalse();
        a[3 + p] = 'x';
      }
    }
  }

  @Test
  void indexOfSearchesOnlyTheViewAndAgreesWithAStringAndAnyCharSequence() {
    byte[] a = " = KNLOG: IN=eth0 OUT= MAC= SRC=10.0.0.1 = ".getBytes(StandardCharsets.US_ASCII);
    AsciiLine line = new AsciiLine().set(a, 3, a.length - 3);
    String text = line.toString();
    StringBuilder other = new StringBuilder(text);
    for (char c : new char[] {' ', '=', 'K', '1', 'z', '\u00e9'}) {
      for (int at = -1; at <= text.length() + 2; at++) {
        int want = text.indexOf(c, at) < 0 ? text.length() : text.indexOf(c, at);
        assertThat(line.indexOf(c, at)).as("'%s' from %d", c, at).isEqualTo(want);
        assertThat(LogLineHeader.indexOf(line, c, at)).isEqualTo(want);
        assertThat(LogLineHeader.indexOf(text, c, at)).isEqualTo(want);
        assertThat(LogLineHeader.indexOf(other, c, at)).isEqualTo(want);
      }
    }
  }

  @Test
  void itViewsTheBytesAndWhatItGivesOutAreCopies() {
    byte[] a = "..KNLOG: IN=eth0 SRC=10.0.0.1..".getBytes(StandardCharsets.US_ASCII);
    AsciiLine line = new AsciiLine().set(a, 2, a.length - 2);
    assertThat(line.length()).isEqualTo(a.length - 4);
    assertThat(line.charAt(0)).isEqualTo('K');
    CharSequence sub = line.subSequence(0, 6);
    String whole = line.toString();
    a[2] = 'X'; // the source reuses its buffer
    assertThat(line.charAt(0)).as("a view").isEqualTo('X');
    assertThat(sub).hasToString("KNLOG:");
    assertThat(whole).isEqualTo("KNLOG: IN=eth0 SRC=10.0.0.1");
    assertThatThrownBy(() -> line.charAt(line.length())).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> line.charAt(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> line.subSequence(3, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> line.subSequence(0, line.length() + 1))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void theSplitterHandsLinesAsBytesAndTheDefaultSinkStillGetsStrings() {
    LineSplitter splitter = new LineSplitter();
    List<String> strings = new ArrayList<>();
    List<String> inPlace = new ArrayList<>();
    byte[] in = "caf\u00e9 SRC=1\r\nKNLOG: x\nlast".getBytes(StandardCharsets.UTF_8);
    splitter.feed(java.nio.ByteBuffer.wrap(in), strings::add);
    splitter.flush(strings::add);
    LineSplitter again = new LineSplitter();
    LineSink bytes = new LineSink() {
      @Override
      public void onLine(String line) {
        inPlace.add("string:" + line);
      }

      @Override
      public void onLine(byte[] a, int from, int to) {
        inPlace.add(AsciiLine.isAscii(a, from, to) ? new AsciiLine().set(a, from, to).toString()
            : "utf8:" + new String(a, from, to - from, StandardCharsets.UTF_8));
      }
    };
    again.feed(java.nio.ByteBuffer.wrap(in), bytes);
    again.flush(bytes);
    assertThat(strings).containsExactly("caf\u00e9 SRC=1", "KNLOG: x", "last");
    assertThat(inPlace).containsExactly("utf8:caf\u00e9 SRC=1", "KNLOG: x", "last");
  }
}
