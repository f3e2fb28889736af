package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "open 22 30m        | open 22/tcp 30m",
      "open 22            | open 22/tcp",
      "OPEN 53/udp 5m     | open 53/udp 5m",
      "open 873/TCP 2h    | open 873/tcp 2h",
      "open 22 90         | open 22/tcp 90s",
      "open 22 3600s      | open 22/tcp 1h",
      "open 22 30m random | open 22/tcp 30m random",
      "open 22 RANDOM     | open 22/tcp random",
      "open 53/udp 5m random | open 53/udp 5m random",
      "open db 1h         | open db 1h",
      "close 22           | close 22/tcp",
      "close 53/udp       | close 53/udp",
      "close db           | close db",
      "deny-further       | deny-further",
      "deny-further 1h    | deny-further 1h",
      "deny-further 1d    | deny-further 1d",
      "run backup         | run backup",
      "  run   nightly.sync_2  | run nightly.sync_2",
  })
  void parsesAndPrintsCanonically(String text, String canonical) throws Exception {
    Command c = Command.parse(text);
    assertThat(c.toString()).isEqualTo(canonical);
    assertThat(Command.parse(c.toString())).isEqualTo(c);
  }

  @Test
  void fieldsOfOpen() throws Exception {
    Command c = Command.parse("open 53/udp 5m");
    assertThat(c.verb()).isEqualTo(Verb.OPEN);
    assertThat(c.port()).isEqualTo(53);
    assertThat(c.protocol()).isEqualTo(Protocol.UDP);
    assertThat(c.duration()).isEqualTo(Duration.ofMinutes(5));
  }

  private static void rejects(String text, String message) {
    assertThatThrownBy(() -> Command.parse(text))
        .isInstanceOf(KnockException.class)
        .hasMessage(message)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void openWithoutPort() {
    rejects("open", "open: missing port, e.g. open 22 30m");
  }

  @Test
  void portOutOfRange() {
    rejects("open 99999", "open: port 99999 is out of range 1-65535");
  }

  @Test
  void portZero() {
    rejects("open 0", "open: port 0 is out of range 1-65535");
  }

  @Test
  void portNotANumber() {
    rejects("open 2x2", "open: bad port '2x2': use a number 1-65535");
    rejects("open db;x", "open: bad port 'db;x': use a number 1-65535");
  }

  @Test
  void openNameIsAForward() throws Exception {
    Command c = Command.parse("open db 30m");
    assertThat(c.forward()).isTrue();
    assertThat(c.action()).isEqualTo("db");
    assertThat(c.port()).isZero();
    assertThat(c.toString()).isEqualTo("open db 30m");
    assertThat(Command.parse("open db random").toString()).isEqualTo("open db random");
    assertThat(Command.parse("open 22").forward()).isFalse();
    assertThat(Command.parse("run db").forward()).isFalse();
    Payload p = Payload.of(c, 0, 1, 2);
    assertThat(p.port()).isEqualTo(Payload.forwardId("db"));
    assertThat(Payload.forwardId("db")).isEqualTo(34242) // sha256(b"knock forward db")[:2], Python
        .isNotEqualTo(Payload.actionId("db"));
  }

  @Test
  void closeNameIsAForwardAndTravelsAsItsId() throws Exception {
    Command c = Command.parse("close db");
    assertThat(c.verb()).isEqualTo(Verb.CLOSE);
    assertThat(c.forward()).isTrue();
    assertThat(c.action()).isEqualTo("db");
    assertThat(c.port()).isZero();
    assertThat(Command.parse("close 22").forward()).isFalse();
    // the same 16 bytes as 'close 34242/tcp': the wire format has no new field
    Payload p = Payload.of(c, 0, 1, 2);
    assertThat(p.port()).isEqualTo(Payload.forwardId("db"));
    assertThat(p).isEqualTo(Payload.of(Command.close(Payload.forwardId("db"), Protocol.TCP),
        0, 1, 2));
    rejects("close db 5m", "close: unexpected '5m': use close PORT[/tcp|/udp] or close NAME");
    rejects("close random", "close: bad port 'random': use a number 1-65535");
  }

  @Test
  void negativeDuration() {
    rejects("open 22 -5m", "open: bad duration '-5m': it must not be negative");
  }

  @Test
  void unknownDurationUnit() {
    rejects("open 22 30x", "open: bad duration '30x': use a number followed by s, m, h or d");
  }

  @Test
  void zeroDuration() {
    rejects("open 22 0m", "open: bad duration '0m': it must be longer than zero");
  }

  @Test
  void durationTooLong() {
    rejects("open 22 20000d", "open: bad duration '20000d': the longest is 16383d");
  }

  @Test
  void durationTooFineForItsLength() {
    rejects("open 22 90001s",
        "open: bad duration '90001s': too long to count in seconds; use whole minutes, hours or days");
  }

  @Test
  void unknownProtocol() {
    rejects("open 22/sctp", "open: bad protocol in '22/sctp': use /tcp or /udp");
  }

  @Test
  void unknownVerb() {
    rejects("knock 22", "unknown command 'knock': use open, close, deny-further or run");
  }

  @Test
  void emptyCommand() {
    rejects("   ",
        "empty command: use open PORT [DURATION], close PORT, deny-further [DURATION] or run ACTION");
  }

  @Test
  void closeTakesNoDuration() {
    rejects("close 22 5m", "close: unexpected '5m': use close PORT[/tcp|/udp] or close NAME");
  }

  @Test
  void openTooManyWords() {
    rejects("open 22 5m now",
        "open: unexpected 'now': use open PORT[/tcp|/udp] [DURATION] [random]");
    rejects("open 22 5m now random",
        "open: unexpected 'now': use open PORT[/tcp|/udp] [DURATION] [random]");
  }

  @Test
  void randomIsForOpenOnly() throws Exception {
    assertThat(Command.parse("open 22 30m random").random()).isTrue();
    assertThat(Command.parse("open 22 30m").random()).isFalse();
    rejects("close 22 random", "close: unexpected 'random': use close PORT[/tcp|/udp] or close NAME");
    rejects("open random", "open: bad port 'random': use a number 1-65535");
  }

  @Test
  void runWithoutAction() {
    rejects("run", "run: missing action name, e.g. run backup");
  }

  @Test
  void runWithBadActionName() {
    rejects("run rm;-rf", "run: bad action name 'rm;-rf': use letters, digits, '-', '_' or '.', at most 64");
  }

  @Test
  void denyFurtherBadDuration() {
    rejects("deny-further forever",
        "deny-further: bad duration 'forever': use a number followed by s, m, h or d");
  }
}
