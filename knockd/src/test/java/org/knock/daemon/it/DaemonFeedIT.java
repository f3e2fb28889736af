package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.Command;
import org.knock.core.DecoderSettings;
import org.knock.core.KnockEncoder;
import org.knock.core.KnockKey;

/**
 * The real {@code bin/knockd} in a namespace, following a kern.log-style file: knock lines
 * written to the file make a real nftables set element appear, and the kernel expires it. No
 * packets: this isolates the daemon (file follower, parser, decoder, policy, nft backend).
 */
class DaemonFeedIT {
  private static final DateTimeFormatter SYSLOG =
      DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

  @TempDir Path dir;

  @Test
  void knockLinesInARealElementOutThenTheKernelExpiresIt() throws Exception {
    String prefix = "KNFEED" + HexFormat.of().formatHex(SecureRandom.getSeed(3));
    KnockKey key = KnockKey.generate(new SecureRandom());
    Path keyFile = dir.resolve("alice.key");
    Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    Files.writeString(keyFile, key.toBase64() + "\n");
    Path log = dir.resolve("kern.log");
    Files.writeString(log, "");
    Path audit = dir.resolve("audit.log");
    Files.writeString(dir.resolve("knockd.conf"), String.join("\n",
        "[options]",
        "FirewallLog = " + log,
        "Firewall = nftables",
        "Protect = 22/tcp",
        "LogPrefix = \"" + prefix + ": \"",
        "AuditLog = " + audit,
        "StateDir = " + dir.resolve("state"),
        "AllowRoot = yes",
        "SelfTest = no", // the test writes the log lines itself: no probe line would come
        "[user alice]",
        "Key = alice.key",
        "Allow = open 22/tcp",
        ""));
    try (Netns ns = Netns.create("fd")) {
      ns.start(List.of(root().resolve("bin/knockd").toString(), "--config",
          dir.resolve("knockd.conf").toString()), dir.resolve("knockd.out"),
          dir.resolve("knockd.err"));
      waitFor(() -> Files.exists(audit) && Files.readString(audit).contains("daemon-start"),
          20_000, "knockd did not start: " + Files.readString(dir.resolve("knockd.err")));
      assertThat(elements(ns)).doesNotContain("10.205.0.2");

      DecoderSettings s = DecoderSettings.defaults();
      int[] ports = new KnockEncoder(key, s.suite(), s.mapping(), s.basePort(),
        org.knock.core.ServerBinding.of(new byte[] {10, (byte) 205, 0, 1}))
          .encode(Command.parse("open 22 3s"), 0, Instant.now(), new SecureRandom());
      StringBuilder lines = new StringBuilder();
      String stamp = SYSLOG.format(Instant.now());
      int sport = 41000;
      for (int p : ports) {
        lines.append(stamp).append(" server kernel: [12345.678901] ").append(prefix)
            .append(": IN=vs OUT= MAC=aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:08:00 SRC=10.205.0.2 ")
            .append("DST=10.205.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=")
            .append(sport++).append(" DPT=").append(p)
            .append(" WINDOW=64240 RES=0x00 SYN URGP=0\n");
      }
      long written = System.nanoTime();
      Files.writeString(log, lines, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
      waitFor(() -> elements(ns).contains("10.205.0.2 . tcp . 22"), 5_000,
          "no set element; audit: " + Files.readString(audit));
      long tookMs = (System.nanoTime() - written) / 1_000_000;
      System.out.printf("DaemonFeedIT: log lines written -> nft element present in %d ms%n",
          tookMs);
      // knock-accepted is written before the grant, access-granted once the firewall confirmed
      // it: the element can be listed a moment before the second line is written (seen in CI)
      waitFor(() -> Files.readString(audit).contains("event=access-granted user=alice "
          + "addr=10.205.0.2 port=22/tcp"), 1_000, "no access-granted within 1 s of the element");
      assertThat(Files.readString(audit)).contains("event=knock-accepted user=alice "
          + "src=10.205.0.2");

      long granted = System.nanoTime();
      waitFor(() -> !elements(ns).contains("10.205.0.2"), 8_000, "the kernel did not expire it");
      long expiredMs = (System.nanoTime() - granted) / 1_000_000;
      System.out.printf("DaemonFeedIT: 3 s grant gone from the set after %d ms%n", expiredMs);
      assertThat(expiredMs).isBetween(1_500L, 5_000L);
    }
  }

  private static String elements(Netns ns) {
    return ns.exec("nft", "list", "set", "inet", "knockd", "granted").out();
  }

  static Path root() {
    return Path.of(System.getProperty("knock.root", ".."));
  }

  interface Check {
    boolean ok() throws Exception;
  }

  static void waitFor(Check c, long millis, String failure) throws Exception {
    long end = System.nanoTime() + millis * 1_000_000;
    while (System.nanoTime() < end) {
      if (c.ok()) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(failure);
  }
}
