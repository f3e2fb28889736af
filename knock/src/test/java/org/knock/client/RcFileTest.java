package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.knock.core.CipherSuite;
import org.knock.core.PortMapping;

class RcFileTest {
  private static RcFile parse(String text) throws ClientException {
    return RcFile.parse(text, "rc", "/home/u/.knock", "/home/u");
  }

  @Test
  void hostStanzaOverridesDefault() throws Exception {
    RcFile rc = parse("# comment\n[default]\nkey = ~/keys/k\ncipher blowfish\ndelay=5\n"
        + "\n[Gate.Example]\r\nkey = gate.key\nmapping = classic\nports = 40000-40255\n"
        + "allow = 192.0.2.9\n");
    KnockSettings gate = rc.forHost("gate.example");
    assertThat(gate.key).isEqualTo("/home/u/.knock/gate.key");
    assertThat(gate.cipher).isEqualTo(CipherSuite.BLOWFISH);
    assertThat(gate.mapping).isEqualTo(PortMapping.CLASSIC);
    assertThat(gate.ports).containsExactly(40000, 40255);
    assertThat(gate.grant).isEqualTo("192.0.2.9");
    assertThat(gate.delay).isEqualTo(5);
    KnockSettings other = rc.forHost("other");
    assertThat(other.key).isEqualTo("/home/u/keys/k");
    assertThat(other.mapping).isNull();
    assertThat(other.grant).isNull();
  }

  @Test
  void sourceIsABooleanThatAHostMayTurnOff() throws Exception {
    RcFile rc = parse("[default]\nsource = yes\n[a]\nsource = no\n[b]\nallow = auto\n[c]\n"
        + "source\n");
    assertThat(rc.forHost("x").grant).isEqualTo(KnockSettings.GRANT_SOURCE);
    assertThat(rc.forHost("a").grant).isEqualTo(KnockSettings.GRANT_AUTO);
    assertThat(rc.forHost("b").grant).isEqualTo(KnockSettings.GRANT_AUTO);
    assertThat(rc.forHost("c").grant).isEqualTo(KnockSettings.GRANT_SOURCE);
  }

  @Test
  void absoluteKeyPathsStay() throws Exception {
    assertThat(parse("[default]\nkey /etc/k\n").forHost("h").key).isEqualTo("/etc/k");
  }

  @Test
  void aByteOrderMarkIsSkipped() throws Exception {
    assertThat(parse("\uFEFF[default]\ncipher blowfish\n").forHost("h").cipher)
        .isEqualTo(CipherSuite.BLOWFISH);
  }

  @Test
  void aRangeRemembersItsFileAndLineForLaterChecks() throws Exception {
    RcFile rc = parse("[default]\nports = 1-2\n[h]\n\nports = 30000-30255\n");
    assertThat(rc.forHost("x").portsOrigin).isEqualTo("rc:2: ports");
    assertThat(rc.forHost("h").portsOrigin).isEqualTo("rc:5: ports");
    assertThat(rc.forHost("h").ports).containsExactly(30000, 30255);
  }

  @Test
  void randomPortsIsASetting() throws Exception {
    assertThat(parse("[h]\nrandom-ports = 41000-41999\n").forHost("h").randomPorts)
        .containsExactly(41000, 41999);
  }

  @Test
  void errorsNameFileAndLine() {
    assertError("[default]\nbogus = 1\n",
        "rc:2: unknown setting 'bogus': use key, user, passphrase-file, ports, random-ports, "
            + "cipher, mapping, allow, allow-prefix, source or delay");
    assertError("cipher = twofish\n",
        "rc:1: setting outside a section: start with [default] or [HOSTNAME]");
    assertError("[default\n", "rc:1: bad section header '[default': use [default] or [HOSTNAME]");
    assertError("[a]\n[A]\n", "rc:2: section [a] appears twice");
    assertError("[a]\n\n\nports = 1-2-3\n",
        "rc:4: ports: bad range '1-2-3': use START-END, e.g. 20000-25119");
    assertError("[a]\nsource = maybe\n", "rc:2: source: 'maybe' is not yes or no");
    assertError("[a]\nkey =\n", "rc:2: key: missing value");
    assertError("[a]\nallow = host.example\n", "rc:2: allow: bad address 'host.example': use an"
        + " IPv4 address such as 192.0.2.7, an IPv6 address such as 2001:db8::7, or --source");
    assertError("[a]\ndelay = -1\n", "rc:2: delay: bad delay '-1': use milliseconds 0-60000");
  }

  private static void assertError(String text, String message) {
    assertThatThrownBy(() -> parse(text)).isInstanceOfSatisfying(ClientException.class, e -> {
      assertThat(e.getMessage()).isEqualTo(message);
      assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE);
    });
  }
}
