package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lines as bytes: the splitter hands them on in place, and the parser's byte search. */
class LineBytesTest {
  @Test
  void indexOfSearchesOnlyTheRegionAndAgreesWithAString() {
    byte[] a = " = KNLOG: IN=eth0 OUT= MAC= SRC=10.0.0.1 = ".getBytes(StandardCharsets.US_ASCII);
    int from = 3;
    int to = a.length - 3;
    String text = new String(a, from, to - from, StandardCharsets.US_ASCII);
    for (char c : new char[] {' ', '=', 'K', '1', 'z'}) {
      for (int at = 0; at <= text.length() + 2; at++) {
        int want = text.indexOf(c, at) < 0 ? text.length() : text.indexOf(c, at);
        assertThat(LogLineHeader.indexOf(a, c, from + at, to) - from).as("'%s' from %d", c, at)
            .isEqualTo(want);
      }
    }
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
        inPlace.add("bytes:" + new String(a, from, to - from, StandardCharsets.UTF_8));
      }
    };
    again.feed(java.nio.ByteBuffer.wrap(in), bytes);
    again.flush(bytes);
    assertThat(strings).containsExactly("caf\u00e9 SRC=1", "KNLOG: x", "last");
    assertThat(inPlace).containsExactly("bytes:caf\u00e9 SRC=1", "bytes:KNLOG: x", "bytes:last");
  }
}
