package org.knock.daemon.config;

import org.knock.daemon.exec.CommandTemplate;
import org.knock.daemon.firewall.PortSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.knock.core.CipherSuite;
import org.knock.core.Command;
import org.knock.core.DecoderSettings;
import org.knock.core.KnockUser;
import org.knock.core.Payload;
import org.knock.core.PortMapping;
import org.knock.core.Protocol;
import org.knock.daemon.firewall.KnockReply;

class ConfigTest {
  private static final Path FILE = Path.of("/etc/knockd/knockd.conf");

  static final String FULL = String.join("\n",
      "# a full config",
      "[Options]",
      "firewalllog = /var/log/kern.log",
      "KnockPorts  = 30000-30255",
      "Cipher = Blowfish",
      "Mapping = classic",
      "Firewall = command",
      "OpenCommand = /usr/local/sbin/grant %IP% %PORT%/%PROTO% \"for %SECONDS% s\"",
      "CloseCommand = /usr/local/sbin/revoke %IP% %PORT%/%PROTO%",
      "CommandTimeout = 5s",
      "Protect = 22/tcp, 873/tcp, 53/udp",
      "LogPrefix = \"KN: \"",
      "AuditLog = logs/audit.log",
      "AuditFormat = json",
      "StateDir = /var/lib/knock-test",
      "TimeWindow = 60",
      "SequenceTimeout = 5s",
      "DefaultDuration = 30m",
      "MaxCombinations = 100",
      "MaxTagChecks = 250000",
      "MaxSources = 1000",
      "UdpKnocks = yes",
      "AllowRoot = yes",
      "",
      "; users",
      "[user alice]",
      "Key = alice.key",
      "Allow = open 22/tcp, open 873, close, deny-further, run backup",
      "MaxDuration = 2h",
      "",
      "[user bob]",
      "Key = /etc/knockd/keys/bob.key",
      "Allow = open */udp, open 22, run backup",
      "AllowOtherAddress = yes",
      "",
      "[action backup]",
      "Command = /usr/local/sbin/backup --to %IP% --user %USER%",
      "Timeout = 10m",
      "",
      "[openSSH]",
      "sequence    = 7000,8000:udp,9000",
      "seq_timeout = 10",
      "tcpflags    = syn,!ack",
      "command     = /usr/sbin/iptables -A INPUT -s %IP% -p tcp --dport 22 -j ACCEPT",
      "cmd_timeout = 5",
      "stop_command = /usr/sbin/iptables -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT",
      "",
      "[smtp]",
      "One_Time_Sequences = sequences",
      "Start_Command = /usr/bin/logger smtp %IP%",
      "");

  private final FakeFiles files = new FakeFiles()
      .key("/etc/knockd/alice.key")
      .key("/etc/knockd/keys/bob.key")
      .put("/etc/knockd/sequences", "#000,2000\n 3000,4000:udp\n\n 5000 , 6000\n", 0644);

  @Test
  void fullConfigGivesEverySetting() throws Exception {
    Config c = ConfigParser.parse(FILE, FULL, 0600, files);
    Options o = c.options();
    assertThat(o.firewallLog()).isEqualTo(
        new FirewallLog(FirewallLog.Kind.FILE, Path.of("/var/log/kern.log")));
    assertThat(o.knockPorts()).isEqualTo(new KnockRange(30000, 30255));
    assertThat(o.cipher()).isEqualTo(CipherSuite.BLOWFISH);
    assertThat(o.mapping()).isEqualTo(PortMapping.CLASSIC);
    assertThat(o.firewall()).isEqualTo(FirewallType.COMMAND);
    assertThat(o.openCommand().expand(Map.of("IP", "10.0.0.2", "PORT", "22",
        "PROTO", "tcp", "SECONDS", "1800")))
        .containsExactly("/usr/local/sbin/grant", "10.0.0.2", "22/tcp", "for 1800 s");
    assertThat(o.closeCommand().program()).isEqualTo("/usr/local/sbin/revoke");
    assertThat(o.commandTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(o.protect()).containsExactly(new PortSpec(22, Protocol.TCP),
        new PortSpec(873, Protocol.TCP), new PortSpec(53, Protocol.UDP));
    assertThat(o.logPrefix()).isEqualTo("KN: ");
    assertThat(o.auditLog()).isEqualTo(Path.of("/etc/knockd/logs/audit.log"));
    assertThat(o.auditFormat()).isEqualTo(AuditFormat.JSON);
    assertThat(o.stateDir()).isEqualTo(Path.of("/var/lib/knock-test"));
    assertThat(o.timeWindow()).isEqualTo(Duration.ofSeconds(60));
    assertThat(o.sequenceTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(o.defaultDuration()).isEqualTo(Duration.ofMinutes(30));
    assertThat(o.maxCombinations()).isEqualTo(100);
    assertThat(o.maxTagChecks()).isEqualTo(250_000);
    assertThat(o.maxSources()).isEqualTo(1000);
    assertThat(o.udpKnocks()).isTrue();
    assertThat(o.nftSet()).isNull();
    assertThat(o.allowRoot()).isTrue();
    assertThat(c.decoderSettings()).isEqualTo(new DecoderSettings(CipherSuite.BLOWFISH,
        PortMapping.CLASSIC, 30000, Duration.ofSeconds(60), 100));

    UserConfig alice = c.user("alice").orElseThrow();
    assertThat(alice.keySource()).isEqualTo("key file /etc/knockd/alice.key");
    assertThat(alice.openPorts()).containsExactlyInAnyOrder(new PortSpec(22, Protocol.TCP),
        new PortSpec(873, Protocol.TCP));
    assertThat(alice.openAnyPort()).isEmpty();
    assertThat(alice.mayClose()).isTrue();
    assertThat(alice.mayDenyFurther()).isTrue();
    assertThat(alice.actions()).containsExactly("backup");
    assertThat(alice.maxDuration()).isEqualTo(Duration.ofHours(2));
    assertThat(alice.allowOtherAddress()).isFalse();
    UserConfig bob = c.user("bob").orElseThrow();
    assertThat(bob.openAnyPort()).containsExactly(Protocol.UDP);
    assertThat(bob.mayClose()).isFalse();
    assertThat(bob.maxDuration()).isEqualTo(Duration.ofDays(1));
    assertThat(bob.allowOtherAddress()).isTrue();
    assertThat(c.knockUsers()).extracting(KnockUser::name, KnockUser::allowOtherAddress)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("alice", false),
            org.assertj.core.groups.Tuple.tuple("bob", true));

    ActionConfig backup = c.action("backup").orElseThrow();
    assertThat(c.actionById(Payload.actionId("backup"))).contains(backup);
    assertThat(backup.timeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(backup.command().expand(Map.of("IP", "10.0.0.2", "USER", "alice")))
        .containsExactly("/usr/local/sbin/backup", "--to", "10.0.0.2", "--user", "alice");

    DoorConfig ssh = c.door("openSSH").orElseThrow();
    assertThat(ssh.sequence()).containsExactly(new PortSpec(7000, Protocol.TCP),
        new PortSpec(8000, Protocol.UDP), new PortSpec(9000, Protocol.TCP));
    assertThat(ssh.seqTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(ssh.tcpFlags()).isEqualTo(new TcpFlags(Set.of("syn"), Set.of("ack")));
    assertThat(ssh.startCommand()).startsWith("/usr/sbin/iptables -A INPUT -s %IP%");
    assertThat(ssh.stopCommand()).startsWith("/usr/sbin/iptables -D INPUT -s %IP%");
    assertThat(ssh.cmdTimeout()).isEqualTo(Duration.ofSeconds(5));
    DoorConfig smtp = c.door("smtp").orElseThrow();
    assertThat(smtp.sequence()).isEmpty();
    assertThat(smtp.oneTimeSequencesFile()).isEqualTo(Path.of("/etc/knockd/sequences"));
    assertThat(smtp.oneTimeSequences()).containsExactly(
        List.of(new PortSpec(3000, Protocol.TCP), new PortSpec(4000, Protocol.UDP)),
        List.of(new PortSpec(5000, Protocol.TCP), new PortSpec(6000, Protocol.TCP)));
    assertThat(smtp.seqTimeout()).isEqualTo(DoorConfig.DEFAULT_SEQ_TIMEOUT);
    assertThat(smtp.tcpFlags()).isEqualTo(TcpFlags.ANY);
    assertThat(c.notices()).isEmpty();
  }

  @Test
  void reportParsesBackToTheSameSettingsAndHidesKeys() throws Exception {
    Config c = ConfigParser.parse(FILE, FULL, 0600, files);
    String report = ConfigReport.render(c);
    Config again = ConfigParser.parse(FILE, report, 0600, files);
    ConfigParserFuzzTest.assertSameSettings(again, c);
    assertThat(ConfigReport.render(again)).isEqualTo(report);
    for (UserConfig u : c.users()) {
      assertThat(report).doesNotContain(u.key().toBase64());
    }
    assertThat(report).contains("[user alice]\n# may: open 22/tcp, 873/tcp for up to 2h (30m if "
        + "no duration is given); close those ports; have its own address ignored for up to 2h; "
        + "run backup; grant only its own address\n");
  }

  @Test
  void reportSaysWhatIsProtectedOnWhichFamilyAndWhetherLongKnocksDecode() throws Exception {
    String base = "[user carol]\nPassphrase = correct horse battery staple\nAllow = open 22\n";
    String nft = ConfigReport.render(ConfigParser.parse(FILE, "[options]\nServerAddress = "
        + "203.0.113.5\nProtect = 22/tcp, 873/tcp\n" + base, 0600, files));
    assertThat(nft).contains("# over IPv4: 22/tcp, 873/tcp closed, knocks logged by nftables "
        + "table inet knockd; grants: elements of set granted (kernel timeouts)\n")
        .contains("# over IPv6: 22/tcp, 873/tcp closed, knocks logged by nftables table inet "
        + "knockd; grants: elements of sets granted6 and granted6net (/64) (kernel timeouts)\n")
        .contains("# 36-port knocks (knock --allow ADDR6): not decoded (need Mapping = indexed, "
        + "KnockPorts of 9216 ports)\n");
    String ipt = ConfigReport.render(ConfigParser.parse(FILE, "[options]\nServerAddress = "
        + "203.0.113.5\nFirewall = iptables\nKnockPorts = 20000-29215\nProtect = 22/tcp\n" + base,
        0600, files));
    assertThat(ipt).contains("# over IPv4: 22/tcp closed, knocks logged by iptables chain KNOCKD;"
        + " grants: its rules with a time match\n")
        .contains("# over IPv6: 22/tcp closed, knocks logged by ip6tables chain KNOCKD; grants:"
        + " its rules with a time match\n")
        .contains("# 36-port knocks (knock --allow ADDR6): decoded\n");
    String shared = ConfigReport.render(ConfigParser.parse(FILE, "[options]\nServerAddress = "
        + "203.0.113.5\nNftSet = inet filter knock_granted\n" + base, 0600, files));
    assertThat(shared).contains("# over IPv6: as your ruleset says (NftSet); grants: elements of "
        + "set inet filter knock_granted6 and (/64) inet filter knock_granted6net if your ruleset "
        + "has them, else IPv6 grants are refused\n");
  }

  @Test
  void passphraseIsNeverReported() throws Exception {
    Config c = ConfigParser.parse(FILE, "[options]\nServerAddress = 203.0.113.5, 198.51.100.9\n"
        + "[user carol]\nPassphrase = correct horse battery staple\nAllow = open 22\n", 0600, files);
    String report = ConfigReport.render(c);
    assertThat(c.user("carol").orElseThrow().keySource()).isEqualTo("passphrase");
    assertThat(report).contains("# Passphrase = (hidden)").doesNotContain("horse")
        .doesNotContain(c.users().get(0).key().toBase64());
    // one key per server address, each serving that address alone, the same as the client's
    assertThat(c.knockUsers()).hasSize(2);
    org.knock.core.ServerBinding first = org.knock.core.ServerBinding.of(
        java.net.InetAddress.getByName("203.0.113.5").getAddress());
    assertThat(c.knockUsers().get(0).onlyFor()).isEqualTo(first);
    assertThat(c.knockUsers().get(0).key().toBase64()).isEqualTo(org.knock.core.KnockKey
        .fromPassphrase("correct horse battery staple".toCharArray(), "carol", first).toBase64());
    assertThat(c.knockUsers().get(1).key().toBase64())
        .isNotEqualTo(c.knockUsers().get(0).key().toBase64());
  }

  @Test
  void aPassphraseNeedsTheServerAddressItIsDerivedFor() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigParser.parse(FILE,
        "[user carol]\nPassphrase = correct horse battery staple\nAllow = open 22\n", 0600, files))
        .hasMessage(FILE + ":2: Passphrase needs [options] ServerAddress: the address(es) "
            + "clients knock, which the key is derived for");
  }

  @Test
  void emptyOptionsGiveTheDefaults() throws Exception {
    Config c = ConfigParser.parse(FILE, "[options]\n[user a]\nKey = /etc/knockd/alice.key\n"
        + "Allow = open 22\n", 0600, files);
    assertThat(c.options()).isEqualTo(Options.defaults());
    assertThat(c.decoderSettings()).isEqualTo(DecoderSettings.defaults());
    assertThat(c.options().auditLog()).isEqualTo(Path.of("/var/log/knockd/audit.log"));
    assertThat(c.options().firewallLog()).isNull();
    assertThat(c.options().allowRoot()).as("root only when the config says so").isFalse();
  }

  @Test
  void knockReplyDefaultsToAutoAndRoundTripsThroughTheReport() throws Exception {
    String user = "[user a]\nKey = /etc/knockd/alice.key\nAllow = open 22\n";
    assertThat(Options.defaults().knockReply()).isEqualTo(KnockReply.AUTO);
    Config c = ConfigParser.parse(FILE, "[options]\nFirewall = iptables\nKnockReply = Reset\n"
        + user, 0600, files);
    assertThat(c.options().knockReply()).isEqualTo(KnockReply.RESET);
    String report = ConfigReport.render(c);
    assertThat(report).contains("KnockReply         = reset\n");
    assertThat(ConfigParser.parse(FILE, report, 0600, files).options()).isEqualTo(c.options());
    Config shared = ConfigParser.parse(FILE, "[options]\nNftSet = inet filter knock_granted\n"
        + user, 0600, files);
    assertThat(ConfigReport.render(shared)).doesNotContain("KnockReply");
  }

  @Test
  void onExitDefaultsToKeepAndRoundTripsThroughTheReport() throws Exception {
    String user = "[user a]\nKey = /etc/knockd/alice.key\nAllow = open 22\n";
    assertThat(Options.defaults().onExit()).isEqualTo(OnExit.KEEP);
    assertThat(ConfigParser.parse(FILE, "[options]\n" + user, 0600, files).options().onExit())
        .isEqualTo(OnExit.KEEP);
    Config c = ConfigParser.parse(FILE, "[options]\nOnExit = Remove\n" + user, 0600, files);
    assertThat(c.options().onExit()).isEqualTo(OnExit.REMOVE);
    String report = ConfigReport.render(c);
    assertThat(report).contains("OnExit             = remove\n");
    assertThat(ConfigParser.parse(FILE, report, 0600, files).options()).isEqualTo(c.options());
  }

  @Test
  void specialValues() throws Exception {
    Config c = ConfigParser.parse(FILE, "[options]\nFirewallLog = kmsg\nAuditLog = -\n"
        + "NftSet = inet filter knock_granted\nProtect = none\n"
        + "[user a]\nKey = /etc/knockd/alice.key\nAllow = open *\n", 0600, files);
    assertThat(c.options().firewallLog().kind()).isEqualTo(FirewallLog.Kind.KMSG);
    assertThat(c.options().auditToStdout()).isTrue();
    assertThat(c.options().nftSet()).isEqualTo(new NftSet("inet", "filter", "knock_granted"));
    assertThat(c.options().protect()).isEmpty();
    assertThat(c.users().get(0).mayOpen(65535, Protocol.UDP)).isTrue();
  }

  @Test
  void nflogGroupIsReadAndReportedBack() throws Exception {
    Config c = ConfigParser.parse(FILE, "[options]\nFirewallLog = NFLOG: 5\nAuditLog = -\n"
        + "[user a]\nKey = /etc/knockd/alice.key\nAllow = open *\n", 0600, files);
    assertThat(c.options().firewallLog()).isEqualTo(FirewallLog.nflog(5));
    assertThat(c.options().firewallLog()).hasToString("nflog:5");
    String report = ConfigReport.render(c);
    assertThat(report).contains("FirewallLog        = nflog:5\n");
    assertThat(ConfigParser.parse(FILE, report, 0600, files).options()).isEqualTo(c.options());
  }

  @Test
  void createKeyMakesAMissingKeyOnceAndSaysSo() throws Exception {
    String text = "[user admin]\nKey = admin.key\nCreateKey = yes\nAllow = open 22/tcp\n";
    Config first = ConfigParser.parse(FILE, text, 0644, files);
    assertThat(files.created).containsExactly(Path.of("/etc/knockd/admin.key"));
    assertThat(first.notices()).containsExactly("created key file /etc/knockd/admin.key for user "
        + "admin (mode 600): give a copy to admin's client");
    Config second = ConfigParser.parse(FILE, text, 0644, files);
    assertThat(files.created).hasSize(1);
    assertThat(second.notices()).isEmpty();
    assertThat(second.users().get(0).key().toBase64())
        .isEqualTo(first.users().get(0).key().toBase64());
  }

  @Test
  void policy() throws Exception {
    Config c = ConfigParser.parse(FILE, FULL, 0600, files);
    UserConfig alice = c.user("alice").orElseThrow();
    UserConfig bob = c.user("bob").orElseThrow();
    assertThat(alice.refusal(Command.parse("open 22 30m"))).isEmpty();
    assertThat(alice.refusal(Command.parse("open 22/udp"))).contains("not-allowed");
    assertThat(alice.refusal(Command.parse("open 22 3h"))).contains("too-long");
    assertThat(alice.refusal(Command.parse("close 873"))).isEmpty();
    assertThat(alice.refusal(Command.parse("close 80"))).contains("not-allowed");
    assertThat(alice.refusal(Command.parse("deny-further 1h"))).isEmpty();
    assertThat(alice.refusal(Command.parse("run backup"))).isEmpty();
    assertThat(bob.refusal(Command.parse("open 5353/udp"))).isEmpty();
    assertThat(bob.refusal(Command.parse("open 5353/tcp"))).contains("not-allowed");
    assertThat(bob.refusal(Command.parse("close 22"))).contains("not-allowed");
    assertThat(bob.refusal(Command.parse("deny-further"))).contains("not-allowed");
    assertThat(bob.refusal(Command.parse("run reboot"))).contains("not-allowed");
    Duration dflt = c.options().defaultDuration();
    assertThat(alice.grantDuration(Command.parse("open 22"), dflt)).isEqualTo(Duration.ofMinutes(30));
    assertThat(alice.grantDuration(Command.parse("open 22"), Duration.ofHours(5)))
        .isEqualTo(Duration.ofHours(2));
    assertThat(alice.grantDuration(Command.parse("open 22 45m"), dflt))
        .isEqualTo(Duration.ofMinutes(45));
    assertThat(alice.toString()).doesNotContain(alice.key().toBase64());
  }

  @Test
  void tcpFlagsMatchLikeKnockd() {
    TcpFlags f = new TcpFlags(Set.of("syn"), Set.of("ack"));
    assertThat(f.matches(List.of("SYN"))).isTrue();
    assertThat(f.matches(List.of("SYN", "ACK"))).isFalse();
    assertThat(f.matches(List.of("FIN"))).isFalse();
    assertThat(TcpFlags.ANY.matches(List.of())).isTrue();
  }

  @Test
  void placeholderValuesStayOneArgument() throws Exception {
    CommandTemplate t = Values.command("Command", "/bin/echo x%USER%y", Set.of("%USER%"));
    assertThat(t.expand(Map.of("USER", "alice"))).containsExactly("/bin/echo", "xalicey");
    assertThatThrownBy(() -> t.expand(Map.of("USER", "a b; rm -rf /")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
