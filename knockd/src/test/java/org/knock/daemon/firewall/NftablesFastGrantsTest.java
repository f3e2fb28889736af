package org.knock.daemon.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.knock.daemon.firewall.Fixtures.SETTINGS;
import static org.knock.daemon.firewall.Fixtures.SSH;
import static org.knock.daemon.firewall.Fixtures.SSH6;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knock.core.Protocol;
import org.knock.daemon.MutableClock;
import org.knock.daemon.netlink.NetlinkException;

/**
 * The nftables backend with a fast grant path (netlink in the daemon): what it writes, and that
 * any failure of it sends that change through nft, whose result then counts.
 */
class NftablesFastGrantsTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-01T10:00:00Z"));
  private final RecordingRunner runner = new RecordingRunner();
  private final FakeFast fast = new FakeFast();
  private final NftSetRef set = NftScripts.ownSet(SETTINGS);
  private final NftSetRef set6 = NftScripts.ownSet6(SETTINGS);

  /** Records what it is asked to write; fails when told to. */
  private static final class FakeFast implements FastGrants {
    final List<String> calls = new ArrayList<>();
    boolean failStart;
    boolean fail;
    boolean closed;

    @Override
    public void start() throws NetlinkException {
      calls.add("start");
      if (failStart) {
        throw new NetlinkException("no module");
      }
    }

    @Override
    public void grant(NftSetRef set, Access access, Duration duration) throws NetlinkException {
      calls.add("grant " + set + " " + access + " " + duration);
      if (fail) {
        throw new NetlinkException("errno 2");
      }
    }

    @Override
    public void revoke(NftSetRef set, Access access) throws NetlinkException {
      calls.add("revoke " + set + " " + access);
      if (fail) {
        throw new NetlinkException("errno 2");
      }
    }

    @Override
    public void ping() throws NetlinkException {
      calls.add("ping");
      if (fail) {
        throw new NetlinkException("errno 1");
      }
    }

    @Override
    public String describe() {
      return "fake";
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  private Firewall firewall(NftSetRef shared) {
    return new NftablesFirewall(SETTINGS, shared, new NftProcess(new Commands(List.of(),
        SETTINGS.commandTimeout(), runner)), fast, clock);
  }

  private List<String> scripts() {
    return runner.calls.stream().filter(c -> !c.argv().contains("-j")).map(RecordingRunner.Call::stdin).toList();
  }

  @Test
  void plainGrantsAndRevokesOfExactAddressesGoTheFastWayAfterInstall() throws Exception {
    Firewall fw = firewall(null);
    fw.install();
    fw.grant(SSH, Duration.ofMinutes(30));
    fw.grant(SSH6, Duration.ofMinutes(5));
    fw.revoke(SSH);
    assertThat(fast.calls).containsExactly("start",
        "grant " + set + " " + SSH + " PT30M", "grant " + set6 + " " + SSH6 + " PT5M",
        "revoke " + set + " " + SSH);
    assertThat(scripts()).containsExactly(NftScripts.install(SETTINGS));
    assertThat(fw.grants()).containsOnlyKeys(SSH6);
    fw.close();
    assertThat(fast.closed).isTrue();
  }

  @Test
  void warmPingsTheFastPathOnlyOnceInstalledAndChangesNothing() throws Exception {
    Firewall fw = firewall(null);
    assertThat(fw.warm()).isFalse(); // not started before install
    fw.install();
    assertThat(fw.warm()).isTrue();
    assertThat(fast.calls).containsExactly("start", "ping");
    assertThat(scripts()).containsExactly(NftScripts.install(SETTINGS));
    assertThat(fw.grants()).isEmpty();
    fast.fail = true;
    assertThat(fw.warm()).isFalse(); // a failed ping: no throw, nothing through nft
    assertThat(scripts()).containsExactly(NftScripts.install(SETTINGS));
    fast.fail = false;
    fw.grant(SSH, Duration.ofMinutes(30)); // the fast path is still used
    assertThat(fast.calls).last().isEqualTo("grant " + set + " " + SSH + " PT30M");
  }

  @Test
  void withoutAFastPathOrInSharedSetModeWarmDoesNothing() throws Exception {
    Firewall shared = firewall(set);
    assertThat(shared.warm()).isFalse();
    Firewall none = new NftablesFirewall(SETTINGS, null, new NftProcess(new Commands(List.of(),
        SETTINGS.commandTimeout(), runner)), null, clock);
    none.install();
    assertThat(none.warm()).isFalse();
    assertThat(fast.calls).isEmpty();
  }

  @Test
  void aFailedFastGrantOrRevokeGoesThroughNft() throws Exception {
    Firewall fw = firewall(null);
    fw.install();
    fast.fail = true;
    fw.grant(SSH, Duration.ofMinutes(30));
    fw.grant(SSH, Duration.ofMinutes(30));
    fw.revoke(SSH6);
    assertThat(scripts()).containsExactly(NftScripts.install(SETTINGS),
        NftScripts.grant(set, SSH, Duration.ofMinutes(30)),
        NftScripts.grant(set, SSH, Duration.ofMinutes(30)),
        NftScripts.revoke(set6, List.of(SSH6)));
    assertThat(fw.grants()).containsOnlyKeys(SSH);
  }

  @Test
  void whenNftFailsTooItsErrorIsReportedAndNothingIsBooked() throws Exception {
    Firewall fw = firewall(null);
    fw.install();
    fast.fail = true;
    runner.answering(c -> RecordingRunner.fail(1, "Error: No such file or directory"));
    assertThatThrownBy(() -> fw.grant(SSH, Duration.ofMinutes(30)))
        .isInstanceOf(FirewallException.class).hasMessageContaining("No such file or directory");
    assertThat(fw.grants()).isEmpty();
  }

  @Test
  void withoutAStartedFastPathEverythingGoesThroughNft() throws Exception {
    fast.failStart = true;
    Firewall fw = firewall(null);
    fw.grant(SSH, Duration.ofMinutes(30)); // before install: not started
    fw.install();
    fw.grant(SSH, Duration.ofMinutes(30));
    assertThat(fast.calls).containsExactly("start");
    assertThat(scripts()).hasSize(3);
  }

  @Test
  void slash64sRandomPortsAndForwardsStayOnNft() throws Exception {
    Firewall fw = firewall(null);
    fw.install();
    Access random = Access.redirect(SSH.address(), 22, Protocol.TCP, 41369);
    Access forward = new Access(SSH.address(), 5432, Protocol.TCP, 41370,
        Access.ipv4("10.0.0.5"), false);
    for (Access a : List.of(Fixtures.SSH6NET, random, forward)) {
      fw.grant(a, Duration.ofMinutes(30));
      fw.revoke(a);
    }
    assertThat(fast.calls).containsExactly("start");
    assertThat(scripts()).hasSize(7);
  }

  @Test
  void sharedSetModeNeverUsesIt() throws Exception {
    runner.answering(c -> c.argv().contains("knock_granted")
        ? RecordingRunner.ok("table inet filter { set knock_granted { type "
            + NftScripts.SET_TYPE + "\n flags timeout\n } }")
        : c.argv().contains("list") ? RecordingRunner.fail(1, "Error: No such file or directory")
        : RecordingRunner.ok(""));
    Firewall fw = firewall(NftSetRef.parse("inet filter knock_granted"));
    fw.install();
    fw.grant(SSH, Duration.ofMinutes(30));
    assertThat(fast.calls).isEmpty();
  }

  @Test
  void theKeyIsLaidOutAsNftDoesAndTheTimeoutRoundedUpToSeconds() {
    assertThat(HexFormat.of().formatHex(NetlinkGrants.key(SSH)))
        .isEqualTo("c0000207" + "06000000" + "00160000");
    assertThat(HexFormat.of().formatHex(NetlinkGrants.key(Fixtures.DNS)))
        .isEqualTo("c6336409" + "11000000" + "00350000");
    assertThat(HexFormat.of().formatHex(NetlinkGrants.key(SSH6)))
        .isEqualTo("fd100204001500000000000000000002" + "06000000" + "00160000");
    assertThat(NetlinkGrants.timeoutMillis(Duration.ofMinutes(30))).isEqualTo(1_800_000);
    assertThat(NetlinkGrants.timeoutMillis(Duration.ofMillis(1500))).isEqualTo(2000);
  }
}
