package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The start-up self-test of the real {@code bin/knockd}, in a throwaway namespace (root; LOG
 * prefix KNSELF…): the probe SYN comes back through kmsg and is not counted as anything; with
 * net.netfilter.nf_log_all_netns = 0 the kernel logs nothing and the self-test says so; a syslog
 * file nothing writes is a silent source; {@code --check --self-test} beside a running knockd
 * tests its rules without removing them; the shared-set mode's own ruleset works too.
 */
@Isolated("sets the host's nf_log_all_netns")
class SelfTestIT {
  private static final SecureRandom RANDOM = new SecureRandom();
  @TempDir Path dir;

  private static String prefix() {
    byte[] b = new byte[3];
    RANDOM.nextBytes(b);
    return "KNSELF" + HexFormat.of().formatHex(b) + ":";
  }

  private Path config(String prefix, String log, String extra) throws Exception {
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, String.join("\n",
        "[options]",
        "AllowRoot = yes",
        "FirewallLog = " + log,
        "Protect = 22/tcp",
        "LogPrefix = \"" + prefix + " \"",
        "AuditLog = " + dir.resolve("audit.log"),
        "StateDir = " + dir.resolve("state"),
        extra,
        "[door]",
        "Sequence = 7000,8000",
        "Command = /bin/true",
        ""));
    return conf;
  }

  @Test
  void theProbeComesBackThroughKmsgAndCountsAsNothing() throws Exception {
    Netns.host("sysctl", "-qw", "net.netfilter.nf_log_all_netns=1").ok();
    try (Netns ns = Netns.create("st");
        KnockdProcess knockd = new KnockdProcess(dir, dir.resolve("audit.log"))) {
      Process p = knockd.start(ns.inside(), config(prefix(), "kmsg", "KnockReply = drop"));
      knockd.awaitAudit(1, 10, "event=self-test", "result=ok", "log=kmsg", "port=20000");
      assertThat(knockd.output()).contains("self-test passed: the probe SYN from 127.0.0.1 to "
          + "knock port 20000 came back through kmsg");

      // 100 more knock-range ports from 127.0.0.1 (20001-20100) make a scan (threshold 100):
      // its report says ports=100; had the probe (port 20000) been counted, it would say 101
      ns.exec("hping3", "-q", "-S", "-p", "++20001", "-c", "100", "-i", "u2000", "127.0.0.1");
      knockd.awaitAudit(1, 20, "event=scan ", "src=127.0.0.1");
      assertThat(knockd.audited("event=scan ")).singleElement().asString()
          .contains("event=scan src=127.0.0.1 ports=100 ");
      assertThat(knockd.auditText()).doesNotContain("event=knock-");

      // on demand, beside the running knockd: tests its rules, leaves them in place
      Netns.Result r = ns.exec(KnockdProcess.script(), "--check", "--self-test", "--config",
          dir.resolve("knockd.conf").toString());
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(knockd.count("event=self-test", "result=ok")).isEqualTo(2);
      assertThat(ns.exec("nft", "list", "table", "inet", "knockd").exit())
          .as("the on-demand test left the running knockd's table alone").isZero();
      assertThat(p.isAlive()).isTrue();
      KnockdProcess.signal(p, "TERM");
      assertThat(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void withoutNfLogAllNetnsTheKernelLogsNothingAndTheSelfTestSaysSo() throws Exception {
    try (Netns ns = Netns.create("sn");
        KnockdProcess knockd = new KnockdProcess(dir, dir.resolve("audit.log"))) {
      Netns.host("sysctl", "-qw", "net.netfilter.nf_log_all_netns=0").ok();
      try {
        Process p = knockd.start(ns.inside(), config(prefix(), "kmsg", ""));
        knockd.awaitAudit(1, 10, "event=self-test", "result=no-log-line", "log=kmsg");
        List<String> errors = knockd.output().lines().filter(l -> l.contains("self-test"))
            .toList();
        assertThat(errors).singleElement().asString()
            .contains("ERROR").contains("the kernel logged no LOG line for the probe SYN")
            .contains("the host sets net.netfilter.nf_log_all_netns = 1");
        assertThat(p.isAlive()).as("a failed self-test is reported, not fatal").isTrue();
      } finally {
        Netns.host("sysctl", "-qw", "net.netfilter.nf_log_all_netns=1").ok();
      }
    }
  }

  @Test
  void aSyslogFileNothingWritesIsASilentSource() throws Exception {
    Netns.host("sysctl", "-qw", "net.netfilter.nf_log_all_netns=1").ok();
    Path kern = dir.resolve("kern.log");
    Files.writeString(kern, "");
    try (Netns ns = Netns.create("sf")) {
      Netns.Result r = ns.exec(KnockdProcess.script(), "--check", "--self-test", "--config",
          config(prefix(), kern.toString(), "").toString());
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err().lines().filter(l -> l.contains("self-test"))).singleElement()
          .asString().contains("the kernel logged the probe SYN").contains("but " + kern
              + " did not deliver it within 2000 ms: nothing writes kernel messages to " + kern);
      assertThat(Files.readString(dir.resolve("audit.log")))
          .contains("event=self-test result=source-silent log=" + kern + " port=20000");
      assertThat(ns.exec("nft", "list", "table", "inet", "knockd").exit())
          .as("the on-demand test removed what it installed").isNotZero();
    }
  }

  @Test
  void aSighupDuringTheSelfTestReloadsInsteadOfKillingTheDaemon() throws Exception {
    Netns.host("sysctl", "-qw", "net.netfilter.nf_log_all_netns=1").ok();
    Path kern = dir.resolve("kern.log");
    Files.writeString(kern, "");
    try (Netns ns = Netns.create("sh");
        KnockdProcess knockd = new KnockdProcess(dir, dir.resolve("audit.log"))) {
      // nothing writes kern.log: the self-test waits its full 2 s for the probe
      Process p = knockd.start(ns.inside(), config(prefix(), kern.toString(), ""));
      assertThat(knockd.count("event=self-test")).as("self-test still waiting").isZero();
      KnockdProcess.signal(p, "HUP");
      knockd.awaitAudit(1, 10, "event=config-reloaded");
      knockd.awaitAudit(1, 10, "event=self-test", "result=source-silent");
      assertThat(p.isAlive()).as("SIGHUP during the self-test: %s", knockd.output()).isTrue();
      KnockdProcess.signal(p, "TERM");
      assertThat(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(knockd.count("event=daemon-stop", "reason=signal")).isEqualTo(1);
    }
  }

  @Test
  void sharedSetModeWithTheAdminsRulesetPasses() throws Exception {
    Netns.host("sysctl", "-qw", "net.netfilter.nf_log_all_netns=1").ok();
    String prefix = prefix();
    try (Netns ns = Netns.create("ss")) {
      // etc/nftables-shared.nft with this test's prefix and the default knock range
      String ruleset = Files.readString(Path.of(System.getProperty("knock.root"),
          "etc/nftables-shared.nft"))
          .replace("define knock_ports = 1000-1255", "define knock_ports = 20000-25119")
          .replace("\"KNOCK: \"", "\"" + prefix + " \"");
      Path nft = dir.resolve("shared.nft");
      Files.writeString(nft, ruleset);
      ns.exec("nft", "-f", nft.toString()).ok();
      Path conf = dir.resolve("knockd.conf");
      Files.writeString(conf, String.join("\n",
          "[options]",
          "AllowRoot = yes",
          "FirewallLog = kmsg",
          "NftSet = inet filter knock_granted",
          "LogPrefix = \"" + prefix + " \"",
          "AuditLog = " + dir.resolve("audit.log"),
          "StateDir = " + dir.resolve("state"),
          "[door]",
          "Sequence = 7000,9000",
          "Command = /bin/true",
          ""));
      Netns.Result r = ns.exec(KnockdProcess.script(), "--check", "--self-test", "--config",
          conf.toString());
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(Files.readString(dir.resolve("audit.log")))
          .contains("event=self-test result=ok log=kmsg port=20000");
    }
  }
}
