package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.KnockKey;
import org.knock.daemon.audit.Log4jAudit;
import org.knock.daemon.audit.Logging;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.ConfigLoader;
import org.knock.daemon.firewall.Access;
import org.knock.daemon.firewall.Firewall;
import org.knock.daemon.firewall.Firewalls;
import org.knock.daemon.log.LoggedPacket;
import org.knock.daemon.log.NetfilterLogParser;
import org.knock.daemon.log.NetfilterLogParser.Result;

/** The warm-up runs real knocks through a private pipeline, and nothing leaves it. */
class JitWarmupTest {
  @TempDir Path dir;

  private Config config(String allow) throws Exception {
    return config("none", allow);
  }

  private Config config(String firewall, String allow) throws Exception {
    return config(firewall, allow, "AuditLog = -");
  }

  /** alice's config; {@code audit}: the [options] lines of the audit log. */
  private Config config(String firewall, String allow, String... audit) throws Exception {
    TestKeys.write(dir.resolve("alice.key"), KnockKey.generate(new SplittableRandom(3)));
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, String.join("\n",
        "[options]",
        "Firewall = " + firewall,
        "Protect = 22/tcp",
        "StateDir = " + dir.resolve("state"),
        String.join("\n", audit),
        "[user alice]",
        "Key = alice.key",
        "Allow = " + allow,
        ""));
    return ConfigLoader.load(conf);
  }

  @Test
  void everyWarmUpKnockIsDecodedAndGrantedPrivately() throws Exception {
    Config c = config("open 22/tcp");
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    assertThat(JitWarmup.run(c, Clock.systemUTC(), 40, Duration.ofSeconds(30), tmp))
        .isEqualTo(40);
    assertThat(dir.resolve("state")).doesNotExist(); // no state written
    try (var left = Files.list(tmp)) {
      assertThat(left).isEmpty(); // its private audit and replay cache are deleted
    }
  }

  @Test
  void theJunkAroundTheKnocksRaisesScansAndEveryKnockIsStillGranted() throws Exception {
    Config c = config("open 22/tcp");
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    long t0 = System.nanoTime();
    JitWarmup.Outcome o = JitWarmup.warm(c, Clock.systemUTC(), JitWarmup.KNOCKS,
        Duration.ofSeconds(60), tmp);
    System.out.printf("warm-up of %d knocks with junk: %d ms%n", JitWarmup.KNOCKS,
        (System.nanoTime() - t0) / 1_000_000);
    // the junk stopped none: each knock is granted, or refused as the replay of another's
    // (user, second, 24-bit nonce), a birthday collision at ~1,000 knocks a second (1 in ~4 runs)
    assertThat(o.granted() + o.refused()).isEqualTo(JitWarmup.KNOCKS);
    assertThat(o.refused()).isLessThanOrEqualTo(5);
    // the heavy scanners' windows crossed a scan's ports: an alert each at the next sweep
    assertThat(o.scans()).isBetween(1, JitWarmup.HEAVY_SCANNERS);
    assertThat(dir.resolve("state")).doesNotExist();
    try (var left = Files.list(tmp)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void theJunkLinesAreWhatTheKernelWritesAndParseAsPackets() {
    NetfilterLogParser parser = new NetfilterLogParser("KN:");
    JitWarmup.Junk junk = new JitWarmup.Junk("KN: IN=", 7000, 12119, 0xc0000201,
        new SplittableRandom(5));
    List<LoggedPacket> packets = new ArrayList<>();
    int v6 = 0;
    for (int i = 0; i < 4000; i++) {
      String line = junk.next();
      assertThat(parser.parse(line, packets::add)).as(line).isEqualTo(Result.PACKET);
      if (line.contains(" SRC=2001:")) {
        v6++;
        assertThat(line).doesNotContain("::"); // the kernel writes all eight groups
      }
    }
    assertThat(v6).isBetween(150, 350); // one in sixteen
    assertThat(packets).allMatch(p -> p.syn() && !p.ack());
    assertThat(packets.stream().filter(p -> p.destinationPort() < 7000
        || p.destinationPort() > 12119).count()).isBetween(500L, 1500L); // ~ a quarter outside
    assertThat(packets.stream().map(p -> p.source()).distinct().count()).isGreaterThan(2000);
  }

  @Test
  void withServerAddressTheWarmUpKnocksAreBoundToItAndGranted() throws Exception {
    // the decoder checks a tag against the listed addresses only: knocks bound to the address
    // the lines are sent to would all be refused, and the warm-up would compile the refusal
    Config c = config("none", "open 22/tcp", "AuditLog = -", "ServerAddress = 203.0.113.7");
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    assertThat(JitWarmup.run(c, Clock.systemUTC(), 40, Duration.ofSeconds(30), tmp))
        .isEqualTo(40);
  }

  @Test
  void aWarmUpLeavesTheLiveAuditLogAndItsConfigurationAlone() throws Exception {
    try {
      Path log = dir.resolve("log/audit.log");
      Config c = config("none", "open 22/tcp", "AuditLog = " + log, "AuditFormat = json");
      Logging.configure(c.options(), Level.INFO);
      new Log4jAudit(Clock.systemUTC()).daemonStart("test", "x"); // one live line
      byte[] before = Files.readAllBytes(log);
      Configuration live = LoggerContext.getContext(false).getConfiguration();
      Path tmp = Files.createDirectories(dir.resolve("tmp"));
      // all its knocks: the junk's scan alerts go to its private audit too
      JitWarmup.Outcome o = JitWarmup.warm(c, Clock.systemUTC(), JitWarmup.KNOCKS,
          Duration.ofSeconds(60), tmp);
      assertThat(o.granted() + o.refused()).isEqualTo(JitWarmup.KNOCKS); // see above
      assertThat(o.refused()).isLessThanOrEqualTo(5);
      assertThat(o.scans()).isPositive();
      assertThat(Files.readAllBytes(log)).isEqualTo(before);
      assertThat(LoggerContext.getContext(false).getConfiguration()).isSameAs(live);
      try (var left = Files.list(dir.resolve("log"))) {
        assertThat(left).containsExactly(log);
      }
      try (var left = Files.list(tmp)) {
        assertThat(left).isEmpty();
      }
      assertThat(dir.resolve("state")).doesNotExist();
    } finally {
      Logging.configureConsole(Level.WARN);
    }
  }

  @Test
  void withoutAPrivateDirectoryNothingRunsAndTheReasonIsThrown() throws Exception {
    Config c = config("open 22/tcp");
    Path notADirectory = Files.writeString(dir.resolve("file"), "");
    assertThatThrownBy(() -> JitWarmup.run(c, Clock.systemUTC(), 40, Duration.ofSeconds(30),
        notADirectory)).isInstanceOf(java.io.IOException.class);
    assertThat(dir.resolve("state")).doesNotExist();
  }

  @Test
  void withNftablesTheGrantsScriptsAreBuiltButNothingIsSent() throws Exception {
    // no table is installed: a grant that reached nft would fail and not be counted
    Config c = config("nftables", "open 22/tcp");
    assertThat(JitWarmup.run(c, Clock.systemUTC(), 40, Duration.ofSeconds(30))).isEqualTo(40);
    assertThat(dir.resolve("state")).doesNotExist();
  }

  @Test
  void aUserWhoMayOpenNothingStillWarmsTheDecoderButGrantsNothing() throws Exception {
    Config c = config("close");
    assertThat(JitWarmup.run(c, Clock.systemUTC(), 5, Duration.ofSeconds(30))).isZero();
  }

  /** A firewall whose warm() succeeds {@code ok} times, then fails; grants nothing. */
  private static Firewall warmable(int[] calls, int ok) {
    return new Firewall() {
      @Override
      public boolean warm() {
        return ++calls[0] <= ok;
      }

      @Override
      public String describe() {
        return "warmable";
      }

      @Override
      public void install() {}

      @Override
      public void grant(Access access, Duration duration) {
        throw new AssertionError("granted " + access);
      }

      @Override
      public void revoke(Access access) {
        throw new AssertionError("revoked " + access);
      }

      @Override
      public List<Access> expire(Instant now) {
        return List.of();
      }

      @Override
      public void close() {}
    };
  }

  @Test
  void theLiveFirewallIsWarmedAsOftenAsAskedAndOnlyWhileItWarms() throws Exception {
    int[] calls = {0};
    assertThat(JitWarmup.warmFirewall(warmable(calls, 1000), 300, Duration.ofSeconds(30)))
        .isEqualTo(300);
    assertThat(calls[0]).isEqualTo(300);
    int[] failing = {0};
    assertThat(JitWarmup.warmFirewall(warmable(failing, 7), 300, Duration.ofSeconds(30)))
        .isEqualTo(7);
    assertThat(failing[0]).isEqualTo(8); // stops at the first that warms nothing
    int[] none = {0};
    assertThat(JitWarmup.warmFirewall(Firewalls.create("none",
        Wiring.firewallSettings(config("open 22/tcp")),
        org.knock.daemon.firewall.FirewallOptions.DEFAULTS, Clock.systemUTC()), 300,
        Duration.ofSeconds(30))).isZero();
    long t0 = System.nanoTime();
    assertThat(JitWarmup.warmFirewall(warmable(none, Integer.MAX_VALUE), Integer.MAX_VALUE,
        Duration.ofMillis(200))).isPositive();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void stopsAtItsTimeLimit() throws Exception {
    Config c = config("open 22/tcp");
    long t0 = System.nanoTime();
    int n = JitWarmup.run(c, Clock.systemUTC(), Integer.MAX_VALUE, Duration.ofMillis(300));
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
    assertThat(n).isPositive();
  }
}
