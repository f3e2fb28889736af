package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link LineFilter}: the splitter and the kmsg and stdin sources hand on exactly the lines that
 * contain the marker, in order, whatever the read boundaries; the others are never decoded.
 */
class LineFilterTest {
  private static final String MARK = "KNPRF1:";

  /** A sink that wants the lines the filter wants and keeps them. */
  private static final class Wanting {
    final List<String> lines = new ArrayList<>();
    final LineSink sink;

    Wanting(LineFilter filter) {
      sink = LineSink.filtered(() -> filter, lines::add);
    }
  }

  @Test
  void findsTheMarkerAtEveryOffsetAndNotAPartOfIt() {
    LineFilter f = LineFilter.containing(" " + MARK + " ");
    for (int at = 0; at < 100; at++) { // every offset in and across 8- and 32-byte steps
      for (int from = 0; from < 9 && from <= at; from++) {
        byte[] a = ("x".repeat(at) + MARK + "y".repeat(100 - at))
            .getBytes(StandardCharsets.US_ASCII);
        assertThat(f.indexIn(a, from, a.length)).as("at %d from %d", at, from).isEqualTo(at);
        assertThat(f.indexIn(a, from, at + MARK.length() - 1)).as("cut at %d", at)
            .isEqualTo(-1);
        assertThat(f.indexIn(a, at + 1, a.length)).isEqualTo(-1);
        a[at + 3] = 'x'; // the first byte there, the rest not: no marker
        assertThat(f.indexIn(a, from, a.length)).as("broken at %d", at).isEqualTo(-1);
      }
    }
    byte[] near = "KKKKKKKKKNPRF1KNPRF:KNPRF1;KNPRF1:".getBytes(StandardCharsets.US_ASCII);
    assertThat(f.indexIn(near, 0, near.length)).isEqualTo(near.length - MARK.length());
    assertThat(LineFilter.containing("  ")).isSameAs(LineFilter.ALL);
    assertThat(LineFilter.ALL.wants(near, 0, 0)).isTrue();
  }

  @Test
  void theSplitterHandsOnExactlyTheMarkedLinesWhateverTheReads() {
    SplittableRandom r = new SplittableRandom(17);
    for (int round = 0; round < 200; round++) {
      List<String> lines = new ArrayList<>();
      ByteArrayOutputStream text = new ByteArrayOutputStream();
      int count = 1 + r.nextInt(30);
      for (int i = 0; i < count; i++) {
        String line = randomLine(r);
        lines.add(line);
        text.writeBytes(line.getBytes(StandardCharsets.UTF_8));
        text.write('\n');
      }
      if (r.nextBoolean()) { // an unfinished last line, handed on by flush
        String last = randomLine(r) + "z"; // not empty: an empty one is no line
        lines.add(last);
        text.writeBytes(last.getBytes(StandardCharsets.UTF_8));
      }
      byte[] data = text.toByteArray();
      Wanting filtered = new Wanting(LineFilter.containing(MARK));
      Wanting all = new Wanting(LineFilter.ALL);
      feedInRandomReads(data, filtered.sink, r);
      feedInRandomReads(data, all.sink, r);
      assertThat(all.lines).isEqualTo(lines);
      assertThat(filtered.lines).as("round %d", round)
          .isEqualTo(lines.stream().filter(l -> l.contains(MARK)).toList());
    }
  }

  @Test
  void aLongLineIsCutIntoPiecesAndOnlyMarkedPiecesGoOn() {
    String longLine = "a".repeat(LineSplitter.MAX_LINE) + MARK + "b".repeat(100);
    byte[] data = ("noise\n" + longLine + "\nKNPRF1: IN=x OUT=\n").getBytes(StandardCharsets.UTF_8);
    Wanting filtered = new Wanting(LineFilter.containing(MARK));
    feedInRandomReads(data, filtered.sink, new SplittableRandom(3));
    assertThat(filtered.lines).containsExactly(MARK + "b".repeat(100), "KNPRF1: IN=x OUT=");
  }

  @Test
  void stdinAndKmsgDropUnmarkedLinesBeforeDecodingThem() throws Exception {
    byte[] data = "noise\nKNPRF1: IN=a OUT=\r\nother\nKNPRF1: IN=b OUT=".getBytes(
        StandardCharsets.UTF_8);
    Wanting stdin = new Wanting(LineFilter.containing(MARK));
    new StdinSource(Channels.newChannel(new java.io.ByteArrayInputStream(data)),
        new RecordingListener()).run(stdin.sink);
    assertThat(stdin.lines).containsExactly("KNPRF1: IN=a OUT=", "KNPRF1: IN=b OUT=");

    byte[] rec = "4,101,5000000,-;noise KNPRF\n".getBytes(StandardCharsets.UTF_8);
    KmsgRecord dropped = KmsgRecord.parse(rec, rec.length, LineFilter.containing(MARK));
    assertThat(dropped.seq()).isEqualTo(101); // the sequence still counts for overruns
    assertThat(dropped.message()).isNull();
    byte[] ours = "4,102,5000001,-;KNPRF1: IN=vs OUT=\n".getBytes(StandardCharsets.UTF_8);
    assertThat(KmsgRecord.parse(ours, ours.length, LineFilter.containing(MARK)).message())
        .isEqualTo("KNPRF1: IN=vs OUT=");
  }

  private static void feedInRandomReads(byte[] data, LineSink sink, SplittableRandom r) {
    LineSplitter s = new LineSplitter();
    int off = 0;
    while (off < data.length) {
      int n = Math.min(data.length - off, 1 + r.nextInt(r.nextBoolean() ? 9 : 300));
      ByteBuffer buf = ByteBuffer.allocate(n + 8);
      buf.position(3); // a slice not at the array's start
      buf.put(data, off, n);
      buf.flip().position(3);
      s.feed(buf, sink);
      off += n;
    }
    s.flush(sink);
  }

  private static String randomLine(SplittableRandom r) {
    StringBuilder b = new StringBuilder();
    int len = r.nextInt(60);
    String alphabet = "KNPRF1: xé\r";
    for (int i = 0; i < len; i++) {
      b.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    if (r.nextInt(3) == 0) {
      b.insert(r.nextInt(b.length() + 1), MARK);
    }
    String s = b.toString();
    return s.endsWith("\r") ? s + "z" : s; // a '\r' before '\n' is dropped, by design
  }
}
