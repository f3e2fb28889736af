package org.knock.daemon.log;

import java.util.ArrayList;
import java.util.List;

/**
 * Measures {@link NetfilterLogParser} throughput over the sample lines (all formats mixed,
 * roughly 80% packet lines). Run: {@code java -cp knockd/target/classes:knockd/target/test-classes
 * -Dknock.testdata=test-data org.knock.daemon.log.ParserThroughputMain}.
 */
public final class ParserThroughputMain {
  private ParserThroughputMain() {}

  public static void main(String[] args) {
    List<String> lines = new ArrayList<>();
    for (String f : List.of("kmsg.txt", "dmesg.txt", "kern.log", "syslog-rfc5424.log",
        "journalctl-short-iso.txt", "ulogd-logemu.log")) {
      lines.addAll(Samples.lines(f));
    }
    String[] all = lines.toArray(new String[0]);
    long[] sink = new long[1];
    PacketHandler handler = p -> sink[0] += p.destinationPort();
    for (int round = 0; round < 5; round++) {
      NetfilterLogParser parser = new NetfilterLogParser("KNLOG:");
      int n = 3_000_000;
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        parser.parse(all[i % all.length], handler);
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      System.out.printf("round %d: %.2f M lines/s (%d packets, %d skipped)%n", round,
          n / secs / 1e6, parser.packets(), parser.skipped());
    }
    System.out.println(sink[0] == 42 ? "" : "done");
  }
}
