package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.daemon.log.LoggedPacket;
import org.knock.daemon.log.Transport;

/** The self-test's probe filter and its diagnosis, with a fake kernel ring. */
class SelfTestTest {
  @TempDir Path dir;

  private static final String LINE = "[ 12.3] KNOCK: IN=lo OUT= MAC=00 SRC=127.0.0.1 "
      + "DST=127.0.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=40000 DPT=20000 "
      + "WINDOW=65495 RES=0x00 SYN URGP=0";

  private static LoggedPacket packet(String src, int sport, int dport) throws Exception {
    InetAddress lo = InetAddress.getByName("127.0.0.1");
    return new LoggedPacket("KNOCK:", InetAddress.getByName(src), lo, Transport.TCP, sport, dport,
        true, false);
  }

  @Test
  void theProbeStopsAtTheGuardAndOnlyTheProbe() throws Exception {
    SelfTest t = new SelfTest(() -> "", dir);
    List<LoggedPacket> passed = new ArrayList<>();
    var guard = t.guard(passed::add);
    // no probe sent yet: nothing is a probe
    guard.onPacket(packet("127.0.0.1", 40000, 20000));
    assertThat(passed).hasSize(1);
    // after a run (nothing logs here: it times out), exactly its tuple is held back
    SelfTest.Outcome o = t.run(20000, "KNOCK:", "kmsg", true);
    assertThat(o.result()).isEqualTo(SelfTest.Result.NO_LOG_LINE);
    passed.clear();
    int sport = t.probeSourcePort();
    guard.onPacket(packet("127.0.0.1", sport, 20000));
    assertThat(passed).isEmpty();
    guard.onPacket(packet("127.0.0.1", sport + 1, 20000));
    guard.onPacket(packet("127.0.0.1", sport, 20001));
    guard.onPacket(packet("10.0.0.2", sport, 20000));
    assertThat(passed).hasSize(3);
  }

  @Test
  void aLineInTheRingButNotInTheSourceBlamesTheSource() {
    SelfTest t = new SelfTest(() -> LINE, dir);
    SelfTest.Outcome o = t.diagnose(20000, 40000, "KNOCK:", "journal", true);
    assertThat(o.result()).isEqualTo(SelfTest.Result.SOURCE_SILENT);
    assertThat(o.message()).isEqualTo("self-test failed: the kernel logged the probe SYN "
        + "(127.0.0.1:40000 -> 127.0.0.1:20000, prefix \"KNOCK:\") but journal did not deliver "
        + "it within 2000 ms: journald is not running or not storing kernel messages (check "
        + "'journalctl -k' and journald.conf's ReadKMsg/MaxLevelStore)");
  }

  @Test
  void noLineInTheRingBlamesTheRulesAndInANamespaceNfLogAllNetns() throws Exception {
    SelfTest host = new SelfTest(() -> LINE.replace("SPT=40000", "SPT=40001"), dir);
    Files.writeString(dir.resolve("nf_log_all_netns"), "0\n");
    SelfTest.Outcome o = host.diagnose(20000, 40000, "KNOCK:", "kmsg", false);
    assertThat(o.result()).isEqualTo(SelfTest.Result.NO_LOG_LINE);
    assertThat(o.message()).contains("your ruleset must log TCP SYNs to the knock ports with "
        + "LogPrefix \"KNOCK:\", from loopback too (before any 'iif lo accept')")
        .doesNotContain("namespace");
    Files.delete(dir.resolve("nf_log_all_netns"));
    SelfTest container = new SelfTest(() -> "", dir);
    assertThat(container.diagnose(20000, 40000, "KNOCK:", "kmsg", true).message())
        .contains("knockd's own LOG rule did not log it; knockd runs in a network namespace "
            + "other than the host's");
  }

  @Test
  void anUnreadableRingNamesBothPossibleLinks() {
    SelfTest t = new SelfTest(() -> {
      throw new IOException("dmesg: read kernel buffer failed: Operation not permitted");
    }, dir);
    SelfTest.Outcome o = t.diagnose(20000, 40000, "KNOCK:", "/var/log/kern.log", true);
    assertThat(o.result()).isEqualTo(SelfTest.Result.NOT_DELIVERED);
    assertThat(o.message()).contains("Operation not permitted").contains("either the kernel "
        + "logged no LOG line").contains("or nothing writes kernel messages to /var/log/kern.log");
  }
}
