package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * End to end across the settings that change what goes over the wire or into the kernel: both
 * ciphers × both mappings ({@code --cipher}/{@code --mapping} on the client, {@code Cipher}/
 * {@code Mapping} in the config), each firewall backend with each kind of log (kmsg, and a
 * kern.log file written by a syslog-like {@link KernLogWriter}); and what a crash leaves behind
 * with iptables, whose grants the kernel ends by their time match and a restart deletes. One
 * knockd per setting, in one lab.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackendMatrixIT extends LabScenarios {
  private static final long OPEN_WITHIN_MS = 1000;
  private Path alice;
  private String users;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    lab = Lab.open("em", "10.204.2", dir);
    alice = lab.keygen("alice");
    users = "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, close\n";
  }

  static Stream<Knockd.Settings> settings() {
    return Stream.of(
        new Knockd.Settings("twofish", "indexed", "nftables", "file"),
        new Knockd.Settings("twofish", "classic", "iptables", "kmsg"),
        new Knockd.Settings("blowfish", "indexed", "iptables", "file"),
        new Knockd.Settings("blowfish", "classic", "nftables", "kmsg"));
  }

  @ParameterizedTest(name = "2. {0}: open 22 opens within 1 s, close 22 shuts it")
  @MethodSource("settings")
  @Order(1)
  void openAndClose(Knockd.Settings s) throws Exception {
    current = lab.knockd(s.cipher() + "-" + s.mapping() + "-" + s.firewall() + "-" + s.log(), s,
        users).start();
    AuditTrail audit = current.audit();
    String client = lab.clientIp();
    assertThat(lab.reachable()).as("before the knock").isFalse();
    int mark = audit.mark();
    lab.knock(alice, "open 22 30s", "--cipher", s.cipher(), "--mapping", s.mapping());
    assertThat(lab.until(true, OPEN_WITHIN_MS)).as("ms until open").isBetween(0L, OPEN_WITHIN_MS);
    audit.await(mark, 1000, "knock-accepted", "user", "alice", "src", client,
        "command", "open 22/tcp 30s");
    audit.await(mark, 1000, "access-granted", "addr", client, "port", "22/tcp");
    lab.knock(alice, "close 22", "--cipher", s.cipher(), "--mapping", s.mapping());
    assertThat(lab.until(false, 1000)).as("ms until shut").isBetween(0L, 1000L);
    audit.await(mark, 1000, "access-closed", "addr", client, "port", "22/tcp", "by", "knock");
    current.stop(); // and its rules are gone
  }

  @Test
  @Order(2)
  @DisplayName("11. iptables: kill -9 with access open: the kernel ends it on time; a restart "
      + "removes the expired rule")
  void killedIptablesDaemonIsCleanedUpByARestart() throws Exception {
    Instant expires = openThenKill9("iptables-crash", "iptables", "open 22 3s");
    assertThat(lab.reachable()).as("open right after the kill").isTrue();
    // the grant's time match (--datestop) ends it in the kernel, knockd or not: the rule's end is
    // the audited end (whole seconds, rounded down) rounded up to a second, and xt_time matches
    // through that whole second: shut at most 3 s after the audited end
    long left = Duration.between(Instant.now(), expires).toMillis();
    assertThat(left).as("ms to the grant's end").isBetween(0L, 5000L);
    long shut = lab.until(false, left + 3500);
    assertThat(shut).as("ms until shut with knockd dead").isNotNegative();
    assertThat(Instant.now()).as("not shut before its end").isAfterOrEqualTo(expires);
    assertThat(lab.server().exec("iptables", "-w", "-S", "KNOCKD").ok().out())
        .as("the dead rule is still listed").contains("knockd expires=");

    current.start();
    assertThat(lab.reachable()).isFalse();
    assertThat(lab.server().exec("iptables", "-w", "-S", "KNOCKD").ok().out())
        .as("the restart removed the expired rule").doesNotContain("knockd expires=");
    current.stop();
  }

  @Test
  @Order(3)
  @DisplayName("iptables: kill -9 with access open, a restart before its end: the restarted "
      + "knockd removes the adopted rule at its end and audits access-expired")
  void anAdoptedIptablesGrantsEndIsAudited() throws Exception {
    openThenKill9("iptables-adopt", "iptables", "open 22 8s");
    AuditTrail audit = current.audit();
    int mark = audit.mark();
    current.start();
    assertThat(lab.reachable()).as("the adopted grant, open after the restart").isTrue();
    // before: the rule was deleted at its end by the restarted knockd with no audit record
    audit.await(mark, 12_000, "access-expired", "addr", lab.clientIp(), "port", "22/tcp");
    assertThat(lab.reachable()).as("shut at its end").isFalse();
    assertThat(lab.server().exec("iptables", "-w", "-S", "KNOCKD").ok().out())
        .as("the restarted knockd removed the rule").doesNotContain("knockd expires=");
    current.stop();
  }

  @Test
  @Order(4)
  @DisplayName("nftables: a leftover table of another shape (kill -9, then an older version's "
      + "set) is recreated at start, and the grants it ends are audited")
  void aRecreatedLeftoversGrantsAreAudited() throws Exception {
    openThenKill9("nft-recreate", "nftables", "open 22 30m");
    String client = lab.clientIp();
    // another shape: the rules gone (as after a flush), a set of another type in place of one
    lab.server().exec("nft", "flush", "table", "inet", "knockd").ok();
    lab.server().exec("nft", "delete", "set", "inet", "knockd", "granted6").ok();
    lab.server().exec("nft", "add", "set", "inet", "knockd", "granted6", "{ type ipv4_addr; }")
        .ok();
    assertThat(lab.server().exec("nft", "list", "set", "inet", "knockd", "granted").ok().out())
        .as("the grant is in the leftover").contains(client + " . tcp . 22");
    AuditTrail audit = current.audit();
    int mark = audit.mark();
    current.start();
    // before: the table was deleted and recreated with no record of the grant it ended
    audit.await(mark, 2000, "access-closed", "addr", client, "port", "22/tcp", "by", "reinstall");
    assertThat(audit.await(mark, 2000, "firewall-error", "what", "install").get("message"))
        .contains("could not be adopted and was recreated: 1 grant(s) ended");
    assertThat(audit.count(mark, "access-closed")).as("one grant ended").isEqualTo(1);
    assertThat(lab.server().exec("nft", "list", "set", "inet", "knockd", "granted6").ok().out())
        .as("recreated in this version's shape").contains("ipv6_addr");
    assertThat(lab.reachable()).as("the ended grant").isFalse();
    lab.open(current, alice, "open 22 30s", OPEN_WITHIN_MS);
    current.stop();
  }

  /**
   * Starts knockd {@code name} (twofish, indexed, {@code firewall}, kmsg), opens with
   * {@code command} and kills it (kill -9) with the access open; returns the grant's end.
   */
  private Instant openThenKill9(String name, String firewall, String command) throws Exception {
    current = lab.knockd(name, new Knockd.Settings("twofish", "indexed", firewall, "kmsg"), users)
        .start();
    Instant expires = lab.open(current, alice, command, OPEN_WITHIN_MS);
    current.kill9();
    return expires;
  }
}
