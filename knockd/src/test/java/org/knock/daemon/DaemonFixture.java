package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.BooleanSupplier;
import org.knock.core.KnockKey;
import org.knock.daemon.audit.AuditEvent;
import org.knock.daemon.audit.MemoryAudit;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.ConfigLoader;

/** What tests of a running {@link Daemon} share: alice's config, LOG lines, a bounded wait. */
final class DaemonFixture {
  private DaemonFixture() {}

  /**
   * Writes (or rewrites) {@code dir/knockd.conf} for a daemon that reads {@code log}, has no
   * firewall, keeps its state in {@code dir/state}, and serves alice ({@code open 22/tcp}) with
   * {@code key}; {@code options} are more {@code [options]} lines. Returns it loaded.
   */
  static Config aliceConfig(Path dir, KnockKey key, Path log, String... options)
      throws Exception {
    aliceKey(dir, key);
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, "[options]\nFirewallLog = " + log + "\nFirewall = none\n"
        + "StateDir = " + dir.resolve("state") + "\nAuditLog = -\n"
        + String.join("", java.util.Arrays.stream(options).map(o -> o + "\n").toList())
        + "[user alice]\nKey = alice.key\nAllow = open 22/tcp\n");
    return ConfigLoader.load(conf);
  }

  /** Writes {@code dir/alice.key} (mode 0600) once. */
  private static void aliceKey(Path dir, KnockKey key) throws Exception {
    Path keyFile = dir.resolve("alice.key");
    if (!Files.exists(keyFile)) {
      Files.writeString(keyFile, key.toBase64() + "\n");
      Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
    }
  }

  /** The kernel's LOG lines (kern.log form) of SYNs from {@code src} to {@code ports}. */
  static String logLines(String src, int firstSourcePort, int[] ports) {
    StringBuilder b = new StringBuilder();
    int sport = firstSourcePort;
    for (int p : ports) {
      b.append("Nov 22 08:08:53 vm kernel: [ 1769.840635] KNOCK: IN=vs OUT= ")
          .append("MAC=62:72:c3:cb:d2:e6:de:e2:d6:98:06:20:08:00 SRC=").append(src)
          .append(" DST=10.99.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1686 DF PROTO=TCP SPT=")
          .append(sport++).append(" DPT=").append(p)
          .append(" WINDOW=64240 RES=0x00 SYN URGP=0 \n");
    }
    return b.toString();
  }

  /** Polls (every 20 ms, at most 10 s) until {@code condition} holds; fails with the audit. */
  static void await(MemoryAudit audit, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 10 s; audit: %s",
          audit.events().stream().map(AuditEvent::toText).toList()).isLessThan(end);
      Thread.sleep(20);
    }
  }
}
