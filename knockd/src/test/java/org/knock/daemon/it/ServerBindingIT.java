package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Knocks are bound to the server address they were made for (protocol version 2, issue 13),
 * through a real kernel: the server namespace has two addresses, .1 and .9. A knock made for .1
 * and delivered to .9 is refused; with {@code ServerAddress = .1} (the address clients reach
 * through NAT) a knock made for .1 is accepted whatever address its packets arrive at; a version-1
 * knock is refused unless the user has {@code AcceptVersion1 = yes}; {@code knock
 * --passphrase-file} opens for a {@code [user]} with a {@code Passphrase}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ScenarioTimer.class)
@Timeout(120)
class ServerBindingIT {
  private Path dir;
  private Lab lab;
  private Path alice;
  private Path bob;
  private String other;

  @BeforeAll
  void setUp(@TempDir Path tmp) throws Exception {
    dir = tmp;
    lab = Lab.open("sb", "10.204.12", dir);
    other = "10.204.12.9";
    lab.server().exec("ip", "addr", "add", other + "/24", "dev", "vs").ok();
    alice = lab.keygen("alice");
    bob = lab.keygen("bob");
  }

  @AfterAll
  void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  private static String users(Path alice, Path bob) {
    return "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, close\n"
        + "\n[user bob]\nKey = " + bob + "\nAllow = open 22/tcp, close\nAcceptVersion1 = yes\n";
  }

  @Test
  void aKnockForOneAddressDeliveredToAnotherIsRefused() throws Exception {
    Knockd k = lab.knockd("bound", Knockd.Settings.defaults(), users(alice, bob));
    k.start();
    AuditTrail audit = k.audit();
    String client = lab.clientIp();

    int mark = audit.mark();
    List<Integer> forFirst = lab.print(alice, "open 22 30s"); // bound to .1
    staticKnock(other, forFirst); // delivered to .9
    audit.await(mark, 4000, "knock-rejected", "src", client, "reason", "bad-tag");
    assertThat(lab.reachable()).isFalse();
    assertThat(audit.count(mark, "knock-accepted")).isZero();

    mark = audit.mark();
    staticKnock(lab.serverIp(), lab.print(alice, "open 22 30s")); // made for .1, sent to .1
    assertThat(lab.until(true, 1000)).isBetween(0L, 1000L);
    audit.await(mark, 1000, "knock-accepted", "user", "alice", "src", client);
    lab.knock(alice, "close 22");
    assertThat(lab.until(false, 1000)).isBetween(0L, 1000L);

    // version 1: unbound, refused for alice, accepted for bob (AcceptVersion1 = yes)
    mark = audit.mark();
    staticKnock(other, lab.print(alice, "open 22 30s", "--protocol", "1"));
    audit.await(mark, 4000, "knock-rejected", "src", client, "reason", "bad-tag");
    mark = audit.mark();
    staticKnock(other, lab.print(bob, "open 22 30s", "--protocol", "1"));
    audit.await(mark, 1000, "knock-accepted", "user", "bob", "src", client);
    lab.knock(bob, "close 22");
    assertThat(lab.until(false, 1000)).isBetween(0L, 1000L);
    k.close();
  }

  @Test
  void serverAddressAcceptsKnocksMadeForTheAddressClientsReach() throws Exception {
    // as if .1 were the public address of a NAT in front of the server: the packets arrive at .9
    // (lines before the first section header still belong to [options])
    Knockd k = lab.knockd("natted", Knockd.Settings.defaults(),
        "ServerAddress = " + lab.serverIp() + "\n" + users(alice, bob));
    k.start();
    AuditTrail audit = k.audit();
    int mark = audit.mark();
    staticKnock(other, lab.print(alice, "open 22 30s")); // made for .1, arrives at .9
    audit.await(mark, 1000, "knock-accepted", "user", "alice", "src", lab.clientIp());
    assertThat(lab.until(true, 1000)).isBetween(0L, 1000L);
    lab.knock(alice, "close 22");
    assertThat(lab.until(false, 1000)).isBetween(0L, 1000L);

    mark = audit.mark(); // a knock made for .9 is not for this server any more
    staticKnock(other, lab.printFor(other, alice, "open 22 30s"));
    audit.await(mark, 4000, "knock-rejected", "src", lab.clientIp(), "reason", "bad-tag");
    assertThat(lab.reachable()).isFalse();
    assertThat(audit.count(mark, "knock-accepted")).isZero();
    k.close();
  }

  @Test
  void knockWithAPassphraseFileOpensForAUserWithAPassphrase() throws Exception {
    Knockd k = lab.knockd("passphrase", Knockd.Settings.defaults(),
        "ServerAddress = " + lab.serverIp() + "\n"
        + "[user carol]\nPassphrase = correct horse battery staple\nAllow = open 22/tcp, close\n");
    // a Passphrase is only read from a config that its owner alone may read
    java.nio.file.Files.setPosixFilePermissions(dir.resolve("passphrase").resolve("knockd.conf"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    k.start();
    Path pass = dir.resolve("carol.pass");
    java.nio.file.Files.writeString(pass, "correct horse battery staple\n");
    java.nio.file.Files.setPosixFilePermissions(pass,
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    AuditTrail audit = k.audit();
    int mark = audit.mark();
    lab.inClient("env", "KNOCK_HOME=" + dir.resolve("home"), Lab.script("knock"),
        "--passphrase-file", pass.toString(), "-U", "carol", lab.serverIp(), "open 22 30s");
    audit.await(mark, 2000, "knock-accepted", "user", "carol", "src", lab.clientIp());
    assertThat(lab.until(true, 1000)).isBetween(0L, 1000L);
    lab.inClient("env", "KNOCK_HOME=" + dir.resolve("home"), Lab.script("knock"),
        "--passphrase-file", pass.toString(), "-U", "carol", lab.serverIp(), "close 22");
    assertThat(lab.until(false, 2000)).isBetween(0L, 2000L);
    k.close();
  }

  private void staticKnock(String server, List<Integer> ports) {
    List<String> argv = new ArrayList<>(List.of("env", "KNOCK_HOME=" + dir.resolve("home"),
        Lab.script("knock"), server));
    ports.forEach(p -> argv.add(String.valueOf(p)));
    lab.inClient(argv.toArray(new String[0]));
  }
}
