package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the way a real LOG line reaches the parser in the daemon: bytes cut into lines by
 * {@link LineSplitter} under the prefix's {@link LineFilter}, then parsed. The input is junk; a
 * real line (one of several log formats) sits between two parts of it, on its own line, and the
 * bytes arrive in two reads cut at a place the input picks. Property: the real line always gives
 * its packet, with every field as the kernel logged it; junk may add packets but never removes
 * that one. The opposite property to {@link NetfilterLogParserFuzzTest}'s (nothing bad gets
 * through): a parser or splitter that drops good lines fails here. Seeds:
 * {@code LineInJunkFuzzTestInputs/realLineInJunk/}.
 *
 * <p>Input: byte 0 picks the real line, byte 1 where the junk splits (before/after), byte 2 where
 * the stream is cut into two reads; the rest is the junk.
 */
class LineInJunkFuzzTest {
  private static final String PREFIX = "KNLOG:";
  private static final String FIELDS = "KNLOG: IN=vs OUT= MAC=62:72:c3:cb:d2:e6:de:e2:d6:98:06:20"
      + ":08:00 SRC=10.201.7.2 DST=10.201.7.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1686 DF "
      + "PROTO=TCP SPT=44340 DPT=1077 WINDOW=64240 RES=0x00 SYN URGP=0 ";
  /** The same packet as kmsg, dmesg, syslog, journalctl and dmesg -T print it. */
  private static final String[] LINES = {
    "4,1234,53000000,-;" + FIELDS,
    "[   53.123456] " + FIELDS,
    "Nov 22 08:09:18 vm kernel: [   53.123456] " + FIELDS,
    "2026-11-22T08:09:18+0000 vm kernel: " + FIELDS,
    "[Sun Nov 22 08:08:53 2026] " + FIELDS,
    FIELDS,
  };
  private static final LoggedPacket EXPECTED = packet("10.201.7.2", "10.201.7.1", 44340, 1077);

  private static LoggedPacket packet(String src, String dst, int spt, int dpt) {
    try {
      return new LoggedPacket(PREFIX, InetAddress.getByName(src), InetAddress.getByName(dst),
          Transport.TCP, spt, dpt, true, false);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @FuzzTest(maxDuration = "5m")
  void realLineInJunk(byte[] input) {
    if (input.length < 3) {
      return;
    }
    String real = LINES[(input[0] & 0xFF) % LINES.length];
    int junk = input.length - 3;
    int split = junk == 0 ? 0 : (input[1] & 0xFF) * junk / 256;
    byte[] line = real.getBytes(StandardCharsets.UTF_8);
    ByteBuffer all = ByteBuffer.allocate(junk + line.length + 2);
    all.put(input, 3, split).put((byte) '\n').put(line).put((byte) '\n')
        .put(input, 3 + split, junk - split);
    byte[] stream = all.array();
    int cut = (input[2] & 0xFF) * stream.length / 256;

    NetfilterLogParser parser = new NetfilterLogParser(PREFIX);
    List<LoggedPacket> packets = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    LineSink sink = LineSink.filtered(() -> LineFilter.containing(PREFIX), l -> {
      lines.add(l);
      parser.parse(l, packets::add);
    });
    LineSplitter splitter = new LineSplitter();
    splitter.feed(ByteBuffer.wrap(stream, 0, cut), sink);
    splitter.feed(ByteBuffer.wrap(stream, cut, stream.length - cut), sink);
    splitter.flush(sink);

    assertThat(lines).as("the real line is delivered whole").contains(real);
    assertThat(packets).as("and parsed to its packet").contains(EXPECTED);
  }
}
