package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;
import org.knock.core.KnockKey;
import org.knock.daemon.TestKeys;

/**
 * Knocks get through junk that costs the decoder its tag checks (bench/junk.sh's case b, the
 * attack the check budget is there for): {@link SynFlood} sends {@value #PPS} SYN/s for
 * {@value #SECONDS} s from {@value #POOL} spoofed sources, taken in turn, to random ports of the
 * whole indexed range. After ~70 SYNs each of them holds candidates for all 20 positions, and
 * from then on every SYN of theirs asks for a newest-first check and a depth search, which
 * {@code MaxTagChecks} (its default) bounds; each check tries the keys of {@value #DECOYS} other
 * users before alice's, as on a server with many users. During the flood the client opens port
 * 22, closes it and opens it again, each within {@value #WITHIN_MS} ms; knockd reads every kmsg
 * record (no source-overrun), so what is tested is the decoder's share of its budget, not the
 * kernel's ring. That the flood cost checks shows in the audit log: once it is over, nearly
 * every flood source's sequence ends refused (decoder-busy where the budget refused it checks,
 * bad-tag, too-many-combinations). With the budget unbounded ({@code MaxTagChecks =
 * 1000000000}) the first knock did not open within 2 s. (bench/junk.sh floods 1,000 users at
 * 5,000 SYN/s and measures the CPU: docs/BENCHMARKS.md §6.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ScenarioTimer.class)
@Timeout(120)
@Isolated("a SYN flood fills the one kernel log ring")
class JunkFloodIT {
  private static final int PPS = 2000;
  private static final int SECONDS = 15;
  private static final int POOL = 100;
  private static final long WITHIN_MS = 2000;
  private static final int DECOYS = 199;
  private Lab lab;
  private Path dir;
  private Path alice;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    this.dir = dir;
    lab = Lab.open("jf", "10.204.40", dir);
    SynFlood.prepare(lab.client());
    alice = lab.keygen("alice");
  }

  @AfterAll
  void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  void knocksOpenAndCloseThroughAFloodOfSourcesThatEachCostTagChecks() throws Exception {
    Knockd k = lab.knockd("knockd", Knockd.Settings.defaults(), decoyUsers(dir, DECOYS)
        + "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, close\nMaxDuration = 1h\n");
    k.set("SequenceTimeout", "5s"); // ~100 ports a flood source: most hold all 20 positions
    k.start();
    try {
      k.awaitWarmedUp(15_000);
      AuditTrail audit = k.audit();
      int mark = audit.mark();
      SynFlood.Run flood = SynFlood.start(lab.client(), lab.serverIp(), "20000-25119",
          PPS * SECONDS, PPS, 11, POOL, dir, "flood");
      String report;
      try {
        Thread.sleep(3000); // ~60 ports a flood source by now: many hold all 20 positions
        assertThat(lab.reachable()).as("port 22 before the first knock").isFalse();
        knockWhileFlooded(audit, "open 22 30m", true);
        knockWhileFlooded(audit, "close 22", false);
        knockWhileFlooded(audit, "open 22 30m", true);
        assertThat(flood.process().isAlive()).as("the flood lasted through the three knocks")
            .isTrue();
        report = flood.awaitSent();
      } finally {
        flood.process().destroyForcibly();
      }
      // every flood source (198.18.0.0/15) spent checks: its sequence ends refused,
      // SequenceTimeout after its last SYN: bad-tag, too-many-combinations (its depth search
      // reached its bound) or decoder-busy (the budget refused it checks)
      long refused = 0;
      for (int i = 0; i < 60 && refused < POOL; i++) {
        Thread.sleep(i == 0 ? 0 : 200);
        refused = audit.since(mark).stream().filter(e -> e.name().equals("knock-rejected")
            && e.get("src") != null && e.get("src").matches("198\\.1[89]\\..*")).count();
      }
      System.out.printf("JunkFloodIT: %s; flood sources refused: %d; events: %s%n",
          report, refused, audit.since(mark).stream().collect(java.util.stream.Collectors
              .groupingBy(e -> e.name() + (e.get("reason") == null ? "" : "/" + e.get("reason")),
                  java.util.TreeMap::new, java.util.stream.Collectors.counting())));
      assertThat(refused).as("flood sources whose sequences ended refused (they cost checks)")
          .isGreaterThanOrEqualTo(POOL * 9 / 10);
      assertThat(audit.count(mark, "source-overrun"))
          .as("kmsg records lost: the flood did not all reach knockd").isZero();
      assertThat(audit.count(mark, "access-granted")).as("grants: the two opens").isEqualTo(2);
    } finally {
      k.close();
    }
  }

  /**
   * {@code count} [user] sections (u1, u2, ...) to put before the real user's, each with its own
   * key file in {@code dir}/decoys (as {@code knock keygen} writes it, {@link TestKeys}): every
   * check tries them all first.
   */
  static String decoyUsers(Path dir, int count) throws Exception {
    Path keys = Files.createDirectory(dir.resolve("decoys"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    SecureRandom random = new SecureRandom();
    StringBuilder sections = new StringBuilder();
    for (int i = 1; i <= count; i++) {
      Path file = TestKeys.write(keys.resolve("u" + i + ".key"), KnockKey.generate(random));
      sections.append("[user u").append(i).append("]\nKey = ").append(file)
          .append("\nAllow = open 22/tcp\n");
    }
    return sections.toString();
  }

  /** Knocks {@code command} from the client; port 22 must be {@code open} after it in time. */
  private void knockWhileFlooded(AuditTrail audit, String command, boolean open)
      throws Exception {
    int mark = audit.mark();
    lab.knock(alice, command);
    long ms = lab.until(open, WITHIN_MS);
    System.out.printf("JunkFloodIT: '%s' took effect %d ms after the client ended%n", command, ms);
    assertThat(ms).as("ms until '%s' took effect during the flood: %s", command,
        AuditTrail.describe(audit.since(mark))).isBetween(0L, WITHIN_MS);
    audit.await(mark, 1000, open ? "access-granted" : "access-closed", "addr", lab.clientIp(),
        "port", "22/tcp");
  }
}
