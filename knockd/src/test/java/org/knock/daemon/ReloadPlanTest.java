package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knock.daemon.config.FirewallType;
import org.knock.daemon.config.KnockRange;
import org.knock.daemon.config.NftSet;
import org.knock.daemon.config.OnExit;
import org.knock.daemon.config.Options;
import org.knock.daemon.firewall.KnockReply;
import org.knock.daemon.firewall.PortSpec;

class ReloadPlanTest {
  private final Options base = Options.defaults();

  private static Options with(Options o, KnockRange range, List<PortSpec> protect,
      String prefix, KnockReply reply, FirewallType firewall, NftSet set, Duration timeout,
      Path stateDir, OnExit onExit) {
    return new Options(o.firewallLog(), range, o.cipher(), o.mapping(), firewall, protect, prefix,
        o.auditLog(), o.auditFormat(), stateDir, o.timeWindow(), o.sequenceTimeout(),
        o.defaultDuration(), o.maxCombinations(), o.maxSources(), o.udpKnocks(), set,
        o.openCommand(), o.closeCommand(), timeout, o.allowRoot(), reply, o.maxTagChecks(),
        o.serverAddresses(), o.selfTest(), onExit, o.randomPorts(), o.kmsgPoll());
  }

  private Options firewallChange() {
    return with(base, new KnockRange(30000, 35119), List.of(PortSpec.parse("22/tcp"),
        PortSpec.parse("2222/tcp")), "NEW: ", KnockReply.DROP, base.firewall(), null,
        base.commandTimeout(), base.stateDir(), OnExit.REMOVE);
  }

  @Test
  void namesTheChangedOptionsAsTheConfigSpellsThem() {
    assertThat(ReloadPlan.changedOptions(base, base)).isEmpty();
    assertThat(ReloadPlan.changedOptions(base, firewallChange()))
        .containsExactly("KnockPorts", "Protect", "LogPrefix", "KnockReply", "OnExit");
  }

  @Test
  void rulesOfTheRunningBackendChangeAtAReload() {
    assertThat(ReloadPlan.restartNeeded(base, firewallChange())).isNull();
  }

  @Test
  void theBackendLogAndStateNeedARestart() {
    Options iptables = with(base, base.knockPorts(), base.protect(), base.logPrefix(),
        base.knockReply(), FirewallType.IPTABLES, null, base.commandTimeout(), base.stateDir(),
        base.onExit());
    assertThat(ReloadPlan.restartNeeded(base, iptables)).isEqualTo("restart knockd to change "
        + "Firewall: a reload keeps the running firewall backend, log source and state directory");
    Options moved = with(base, base.knockPorts(), base.protect(), base.logPrefix(),
        base.knockReply(), base.firewall(), new NftSet("inet", "filter", "knock_granted"),
        Duration.ofSeconds(3), Path.of("/tmp/state"), base.onExit());
    assertThat(ReloadPlan.restartNeeded(base, moved))
        .startsWith("restart knockd to change StateDir, NftSet, CommandTimeout:");
  }

  @Test
  void kmsgPollNeedsARestart() {
    Options b = base;
    Options polled = new Options(b.firewallLog(), b.knockPorts(), b.cipher(), b.mapping(),
        b.firewall(), b.protect(), b.logPrefix(), b.auditLog(), b.auditFormat(), b.stateDir(),
        b.timeWindow(), b.sequenceTimeout(), b.defaultDuration(), b.maxCombinations(),
        b.maxSources(), b.udpKnocks(), b.nftSet(), b.openCommand(), b.closeCommand(),
        b.commandTimeout(), b.allowRoot(), b.knockReply(), b.maxTagChecks(),
        b.serverAddresses(), b.selfTest(), b.onExit(), b.randomPorts(), Duration.ofMillis(1));
    assertThat(ReloadPlan.changedOptions(base, polled)).containsExactly("KmsgPoll");
    assertThat(ReloadPlan.restartNeeded(base, polled)).startsWith("restart knockd to change "
        + "KmsgPoll:");
  }

  @Test
  void commandTimeoutChangesAtAReloadWhenNoFirewallProgramRuns() {
    Options none = with(base, base.knockPorts(), base.protect(), base.logPrefix(),
        base.knockReply(), FirewallType.NONE, null, base.commandTimeout(), base.stateDir(),
        base.onExit());
    Options slower = with(none, none.knockPorts(), none.protect(), none.logPrefix(),
        none.knockReply(), FirewallType.NONE, null, Duration.ofMinutes(1), none.stateDir(),
        none.onExit());
    assertThat(ReloadPlan.restartNeeded(none, slower)).isNull();
    assertThat(ReloadPlan.changedOptions(none, slower)).containsExactly("CommandTimeout");
  }
}
