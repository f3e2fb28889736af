package org.knock.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.knock.core.Protocol;
import org.knock.daemon.firewall.PortSpec;

/**
 * knockd 0.8's own configurations, unchanged (test-data/knockd-0.8): Debian's stock
 * /etc/knockd.conf and the four examples of knockd(1). Each is read without a problem; knockd-only
 * settings draw one notice each, with file and line.
 */
class KnockdConfTest {
  private static final Path DIR = Path.of(System.getProperty("knock.testdata", "test-data"),
      "knockd-0.8");

  private static Config parse(String name) throws Exception {
    Path file = DIR.resolve(name);
    FakeFiles files = new FakeFiles().put("/etc/knockd/smtp_sequences",
        Files.readString(DIR.resolve("smtp_sequences"), StandardCharsets.UTF_8), 0644);
    return ConfigParser.parse(file, Files.readString(file, StandardCharsets.UTF_8), 0644, files);
  }

  private static PortSpec tcp(int port) {
    return new PortSpec(port, Protocol.TCP);
  }

  @Test
  void debiansStockConfigIsReadAsItIs() throws Exception {
    Config c = parse("debian-knockd.conf");
    assertThat(c.doors()).extracting(DoorConfig::name)
        .containsExactly("openSSH", "closeSSH", "openHTTPS");
    DoorConfig open = c.door("openSSH").orElseThrow();
    assertThat(open.sequence()).containsExactly(tcp(7000), tcp(8000), tcp(9000));
    assertThat(open.seqTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(open.tcpFlags()).isEqualTo(new TcpFlags(Set.of("syn"), Set.of()));
    assertThat(open.startCommand())
        .isEqualTo("/sbin/iptables -A INPUT -s %IP% -p tcp --dport 22 -j ACCEPT");
    assertThat(open.stopCommand()).isNull();
    assertThat(c.door("closeSSH").orElseThrow().sequence())
        .containsExactly(tcp(9000), tcp(8000), tcp(7000));
    assertThat(c.door("openHTTPS").orElseThrow().sequence())
        .containsExactly(tcp(12345), tcp(54321), tcp(24680), tcp(13579));
    assertThat(c.users()).isEmpty();
    assertThat(c.options()).isEqualTo(Options.defaults());
    assertThat(c.notices()).containsExactly(DIR.resolve("debian-knockd.conf") + ":2: UseSyslog "
        + "is a knockd 0.8 setting that means nothing here, ignored: knock writes its own audit "
        + "log: use AuditLog");
  }

  @Test
  void manPageExampleOneOpensAndClosesWithTwoSequences() throws Exception {
    Config c = parse("man-example-1.conf");
    assertThat(c.doors()).extracting(DoorConfig::name).containsExactly("openSSH", "closeSSH");
    assertThat(c.door("openSSH").orElseThrow().seqTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.notices()).singleElement().asString()
        .endsWith("man-example-1.conf:2: logfile is a knockd 0.8 setting that means nothing "
            + "here, ignored: knock writes its own audit log: use AuditLog");
  }

  @Test
  void manPageExampleTwoMixesUdpAndTcpAndClosesAfterCmdTimeout() throws Exception {
    DoorConfig d = parse("man-example-2.conf").door("opencloseSSH").orElseThrow();
    assertThat(d.sequence()).containsExactly(new PortSpec(2222, Protocol.UDP), tcp(3333),
        new PortSpec(4444, Protocol.UDP));
    assertThat(d.tcpFlags()).isEqualTo(new TcpFlags(Set.of("syn", "ack"), Set.of()));
    assertThat(d.cmdTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(d.startCommand()).contains("-A INPUT -s %IP% -p tcp --syn -j ACCEPT");
    assertThat(d.stopCommand()).contains("-D INPUT -s %IP% -p tcp --syn -j ACCEPT");
  }

  @Test
  void manPageExampleThreeReadsOneTimeSequences() throws Exception {
    DoorConfig d = parse("man-example-3.conf").door("opencloseSMTP").orElseThrow();
    assertThat(d.oneTimeSequencesFile()).isEqualTo(Path.of("/etc/knockd/smtp_sequences"));
    assertThat(d.oneTimeSequences()).containsExactly(List.of(tcp(1111), tcp(2222), tcp(3333)),
        List.of(new PortSpec(4444, Protocol.UDP), tcp(5555), tcp(6666)));
    assertThat(d.tcpFlags()).isEqualTo(new TcpFlags(Set.of("fin"), Set.of("ack")));
  }

  @Test
  void manPageExampleFourNotesItsIpv6CommandsOnceEach() throws Exception {
    Config c = parse("man-example-4.conf");
    assertThat(c.door("opencloseSMTP")).isPresent();
    assertThat(c.notices()).hasSize(3);
    assertThat(c.notices().get(1)).endsWith("man-example-4.conf:9: start_command_6 is a knockd "
        + "0.8 setting that means nothing here, ignored: knock's doors are IPv4 only");
    assertThat(c.notices().get(2)).contains("man-example-4.conf:12: stop_command_6 ");
  }

  @Test
  void bareFlagsAndEmptyIpv6CommandsAsKnockdWritesThem() throws Exception {
    Config c = ConfigParser.parse(Path.of("k.conf"), "[OPTIONS]\nusesyslog\nPidFile = /run/k.pid\n"
        + "Interface = eth1\n[d]\nSEQUENCE = 1,2,3\nCOMMAND = true\nCommand_6 =\nTarget = 10.0.0.1\n",
        0644, new FakeFiles());
    assertThat(c.notices()).extracting(n -> n.split(" ")[1])
        .containsExactly("usesyslog", "PidFile", "Interface", "Command_6", "Target");
    assertThat(c.door("d").orElseThrow().startCommand()).isEqualTo("true");
  }

  @Test
  void aKnockdSettingInTheWrongSectionOrAnyOtherBareWordIsStillAProblem() {
    assertThatThrownBy(() -> ConfigParser.parse(Path.of("k.conf"),
        "[d]\nSequence = 1,2\nCommand = true\nUseSyslog\nLogFile = /x\n", 0644, new FakeFiles()))
        .hasMessage("k.conf:4: UseSyslog is a knockd setting knock does not use: knock writes "
            + "its own audit log: use AuditLog\nk.conf:5: LogFile is a knockd setting knock does "
            + "not use: knock writes its own audit log: use AuditLog");
    assertThatThrownBy(() -> ConfigParser.parse(Path.of("k.conf"),
        "[options]\nVerbose\n[d]\nSequence = 1,2\nCommand = true\n", 0644, new FakeFiles()))
        .hasMessage("k.conf:2: expected KEY = VALUE or [SECTION]");
  }
}
