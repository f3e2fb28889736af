package org.knock.daemon.firewall;

import org.knock.daemon.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.knock.daemon.firewall.Fixtures.DNS;
import static org.knock.daemon.firewall.Fixtures.SETTINGS;
import static org.knock.daemon.firewall.Fixtures.SSH;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knock.daemon.exec.CommandRunner;
import org.knock.daemon.exec.CommandTemplate;

class CommandFirewallTest {
  private static final List<String> OPEN_SSH = List.of("/usr/sbin/iptables", "-I", "INPUT", "-s",
      "192.0.2.7", "-p", "tcp", "--dport", "22", "-j", "ACCEPT");
  private static final List<String> CLOSE_SSH = List.of("/usr/sbin/iptables", "-D", "INPUT", "-s",
      "192.0.2.7", "-p", "tcp", "--dport", "22", "-j", "ACCEPT");
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-01T10:00:00Z"));
  private final RecordingRunner runner = new RecordingRunner();

  private Firewall firewall() {
    FirewallOptions o = FirewallOptions.DEFAULTS.withCommands(
        CommandTemplate.parse("/usr/sbin/iptables -I INPUT -s %IP% -p %PROTO% --dport %PORT% -j ACCEPT"),
        CommandTemplate.parse("/usr/sbin/iptables -D INPUT -s %IP% -p %PROTO% --dport %PORT% -j ACCEPT"));
    return Firewalls.create("command", SETTINGS, o, clock, runner);
  }

  @Test
  void opensOnGrantAndClosesWhenTheTimeIsUp() throws Exception {
    Firewall fw = firewall();
    fw.install();
    assertThat(runner.calls).isEmpty();
    fw.grant(SSH, Duration.ofMinutes(30));
    assertThat(runner.calls).containsExactly(
        new RecordingRunner.Call(OPEN_SSH, Duration.ofSeconds(3), null));
    assertThat(fw.expire(clock.instant().plus(Duration.ofMinutes(29)))).isEmpty();
    assertThat(fw.expire(clock.instant().plus(Duration.ofMinutes(30)))).containsExactly(SSH);
    assertThat(runner.argvs()).containsExactly(OPEN_SSH, CLOSE_SSH);
  }

  @Test
  void aRegrantWithoutSecondsOnlyMovesTheEnd() throws Exception {
    Firewall fw = firewall();
    fw.grant(SSH, Duration.ofMinutes(30));
    clock.advance(Duration.ofMinutes(25));
    fw.grant(SSH, Duration.ofMinutes(30));
    assertThat(fw.expire(clock.instant().plus(Duration.ofMinutes(29)))).isEmpty();
    assertThat(runner.argvs()).as("a second iptables -I would never be deleted")
        .containsExactly(OPEN_SSH);
  }

  /** Issue 12: open 22 5m, then open 22 10m: the firewall's own timeout is renewed. */
  @Test
  void aRegrantRunsAnOpenCommandWithSecondsAgainWithTheNewLength() throws Exception {
    FirewallOptions o = FirewallOptions.DEFAULTS.withCommands(
        CommandTemplate.parse("/usr/sbin/ipset -exist add knock %IP%,%PROTO%:%PORT% timeout "
            + "%SECONDS%"),
        CommandTemplate.parse("/usr/sbin/ipset -exist del knock %IP%,%PROTO%:%PORT%"));
    Firewall fw = Firewalls.create("command", SETTINGS, o, clock, runner);
    fw.grant(SSH, Duration.ofMinutes(5));
    clock.advance(Duration.ofMinutes(1));
    fw.grant(SSH, Duration.ofMinutes(10));
    assertThat(runner.argvs()).extracting(argv -> String.join(" ", argv)).containsExactly(
        "/usr/sbin/ipset -exist add knock 192.0.2.7,tcp:22 timeout 300",
        "/usr/sbin/ipset -exist add knock 192.0.2.7,tcp:22 timeout 600");
    assertThat(fw.expire(clock.instant().plus(Duration.ofMinutes(9)))).isEmpty();
    assertThat(fw.expire(clock.instant().plus(Duration.ofMinutes(10)))).containsExactly(SSH);
    assertThat(runner.argvs()).hasSize(3);
  }

  @Test
  void revokeClosesOnlyWhatIsOpen() throws Exception {
    Firewall fw = firewall();
    fw.revoke(SSH);
    assertThat(runner.calls).isEmpty();
    fw.grant(SSH, Duration.ofMinutes(30));
    fw.revoke(SSH);
    assertThat(runner.argvs()).containsExactly(OPEN_SSH, CLOSE_SSH);
    assertThat(fw.expire(clock.instant().plus(Duration.ofDays(1)))).isEmpty();
  }

  @Test
  void aFailingOpenIsAOneLineErrorAndGrantsNothing() throws Exception {
    runner.answering(c -> RecordingRunner.fail(2, "iptables: Bad argument\nTry `iptables -h'\n"));
    Firewall fw = firewall();
    assertThatThrownBy(() -> fw.grant(SSH, Duration.ofMinutes(1)))
        .isInstanceOf(FirewallException.class)
        .hasMessage("/usr/sbin/iptables -I INPUT failed (exit 2): iptables: Bad argument");
    assertThat(fw.expire(clock.instant().plus(Duration.ofDays(1)))).isEmpty();
  }

  @Test
  void aHangingCommandIsReported() {
    runner.answering(c -> new CommandRunner.Result(-1, "", "", true));
    Firewall fw = firewall();
    assertThatThrownBy(() -> fw.grant(SSH, Duration.ofMinutes(1)))
        .hasMessage("/usr/sbin/iptables -I INPUT timed out after 3000 ms");
  }

  @Test
  void aFailedCloseIsRetriedAndTheOthersAreStillReported() throws Exception {
    Firewall fw = firewall();
    fw.grant(SSH, Duration.ofMinutes(1));
    fw.grant(DNS, Duration.ofMinutes(2));
    runner.answering(c -> c.argv().contains("192.0.2.7") ? RecordingRunner.fail(1, "busy")
        : RecordingRunner.ok(""));
    Instant later = clock.instant().plus(Duration.ofMinutes(5));
    assertThatThrownBy(() -> fw.expire(later))
        .isInstanceOfSatisfying(FirewallException.class,
            e -> assertThat(e.expired()).containsExactly(DNS))
        .hasMessage("cannot expire a grant: /usr/sbin/iptables -D INPUT failed (exit 1): busy");
    runner.answering(c -> RecordingRunner.ok(""));
    assertThat(fw.expire(later)).containsExactly(SSH);
  }

  @Test
  void closeClosesWhatIsStillOpen() throws Exception {
    Firewall fw = firewall();
    fw.grant(SSH, Duration.ofMinutes(1));
    fw.close();
    assertThat(runner.argvs()).containsExactly(OPEN_SSH, CLOSE_SSH);
  }

  @Test
  void refusesUserAndMissingTemplates() {
    CommandTemplate withUser = CommandTemplate.parse("logger %USER%");
    CommandTemplate plain = CommandTemplate.parse("logger %IP%");
    assertThatThrownBy(() -> Firewalls.create("command", SETTINGS,
        FirewallOptions.DEFAULTS.withCommands(plain, withUser), clock, runner))
        .hasMessage("the command firewall knows %IP%, %PORT% and %PROTO% but not %USER%: "
            + "logger %USER%");
    assertThatThrownBy(() -> Firewalls.create("command", SETTINGS,
        FirewallOptions.DEFAULTS.withCommands(plain, null), clock, runner))
        .hasMessage("the command firewall needs both OpenCommand and CloseCommand");
  }

  @Test
  void describeShowsAnExpandedExample() {
    assertThat(firewall().describe()).contains(
        "/usr/sbin/iptables -I INPUT -s 192.0.2.1 -p tcp --dport 22 -j ACCEPT");
  }

  /** docs/SECURITY.md (Clock): this backend ends grants by the daemon's clock. */
  @Test
  void aForwardClockJumpEndsAGrantEarly() throws Exception {
    Fixtures.forwardJumpEndsAGrantEarly(firewall(), clock, runner);
    assertThat(runner.argvs()).containsExactly(OPEN_SSH, CLOSE_SSH);
  }
}
