package org.knock.daemon.log;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How fast {@link LineFilter} finds the LOG prefix in a kern.log held in memory, next to the JDK's
 * intrinsic {@code String.indexOf} on the same bytes (Latin-1): every occurrence, each search
 * from just after the last. Not a test: {@code java -cp knockd/target/classes:knockd/target/
 * test-classes org.knock.daemon.log.LineFilterBench FILE PREFIX [ROUNDS]} (issue 17, docs/
 * BENCHMARKS.md section 2).
 */
public final class LineFilterBench {
  private LineFilterBench() {}

  public static void main(String[] args) throws Exception {
    byte[] a = Files.readAllBytes(Path.of(args[0]));
    String marker = args[1].strip();
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    LineFilter f = LineFilter.containing(marker);
    String s = new String(a, StandardCharsets.ISO_8859_1);
    for (int r = 0; r < rounds; r++) {
      long t0 = System.nanoTime();
      int filter = 0;
      for (int p = 0; (p = f.indexIn(a, p, a.length)) >= 0; p++) {
        filter++;
      }
      long t1 = System.nanoTime();
      int jdk = 0;
      for (int p = 0; (p = s.indexOf(marker, p)) >= 0; p++) {
        jdk++;
      }
      long t2 = System.nanoTime();
      System.out.printf("round %d: LineFilter %d ms (%d found), String.indexOf %d ms (%d)%n", r,
          (t1 - t0) / 1_000_000, filter, (t2 - t1) / 1_000_000, jdk);
    }
  }
}
