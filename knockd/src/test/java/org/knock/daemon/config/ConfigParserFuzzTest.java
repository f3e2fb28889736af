package org.knock.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Fuzzes the config parser with arbitrary file text. It either gives a config or fails with a
 * {@link ConfigException} whose every problem is one line, {@code FILE:LINE: message} with a line
 * of the file (or {@code FILE: message}). Nothing else may escape. The files the text may name
 * (a key file, a sequence file) are in memory. And the other way round: a text that parses gives
 * a {@code knockd --check} report ({@link ConfigReport}) that parses back to the same settings
 * and renders to the same report, so a parser that refuses good configs, or a report that drops
 * or changes a setting, fails here. Seeds: {@code ConfigParserFuzzTestInputs/parse/}.
 */
class ConfigParserFuzzTest {
  private static final Path FILE = Path.of("/etc/knockd/fuzz.conf");
  private static final Pattern PROBLEM =
      Pattern.compile("/etc/knockd/fuzz\\.conf(:(\\d+))?: [^\\r\\n]+");

  /** A valid config with every kind of section (the seed {@code parse/everything}). */
  private static final String[] VALID = {
      "[options]",
      "FirewallLog = kmsg",
      "KnockPorts = 30000-35119",
      "Cipher = blowfish",
      "Mapping = indexed",
      "Firewall = command",
      "OpenCommand = /usr/sbin/grant %IP% %PORT% %PROTO% %SECONDS%",
      "CloseCommand = /usr/sbin/revoke %IP% %PORT% %PROTO%",
      "CommandTimeout = 5s",
      "LogPrefix = \"KN: \"",
      "AuditLog = -",
      "AuditFormat = json",
      "StateDir = /var/lib/knockd",
      "TimeWindow = 60s",
      "SequenceTimeout = 5",
      "DefaultDuration = 30m",
      "MaxCombinations = 1000",
      "MaxSources = 100",
      "UdpKnocks = yes",
      "AllowRoot = no",
      "",
      "[user admin]",
      "Key = /etc/knockd/admin.key",
      "Allow = open 22/tcp, open 53/udp, close, deny-further, run backup",
      "MaxDuration = 2h",
      "AllowOtherAddress = yes",
      "",
      "[action backup]",
      "Command = /usr/local/sbin/start-backup --for %IP% --user %USER%",
      "Timeout = 10m",
      "",
      "[openHTTP]",
      "Sequence = 7000,8000:udp,9000",
      "Seq_Timeout = 10",
      "TCPFlags = syn,!ack",
      "Start_Command = /usr/bin/logger door %IP%",
      "Cmd_Timeout = 30",
      "Stop_Command = /usr/bin/logger closed %IP%",
      "",
      "[ots]",
      "One_Time_Sequences = /etc/knockd/seqs",
      "Start_Command = /bin/true",
  };

  private static FakeFiles files() {
    return new FakeFiles()
        .key("/etc/knockd/admin.key")
        .put("/etc/knockd/open-key", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n", 0644)
        .put("/etc/knockd/seqs", "7000,8000,9000\n1000,2000,3000\n", 0600);
  }

  @FuzzTest(maxDuration = "5m")
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    FakeFiles files = files();
    int lines = text.split("\n", -1).length;
    try {
      // mode 0644: a Passphrase is refused before scrypt (0.2 s a try) would slow the fuzzer down
      Config c = ConfigParser.parse(FILE, text, 0644, files);
      String report = ConfigReport.render(c);
      Config again = reparse(report, files);
      assertSameSettings(again, c);
      // a notice says what this parse did (e.g. CreateKey made the key file): the second has
      // nothing left to do, and says nothing
      assertThat(ConfigReport.render(again))
          .isEqualTo(report.replaceAll("(?m)^# notice: .*\n", ""));
    } catch (ConfigException e) {
      assertThat(e.problems()).isNotEmpty();
      for (String p : e.problems()) {
        var m = PROBLEM.matcher(p);
        assertThat(m.matches()).as("one line FILE:LINE: message, got %s", p).isTrue();
        if (m.group(2) != null) {
          assertThat(Long.parseLong(m.group(2))).as(p).isBetween(1L, (long) lines);
        }
      }
    }
  }

  private static Config reparse(String report, FakeFiles files) {
    try {
      return ConfigParser.parse(FILE, report, 0644, files);
    } catch (ConfigException e) {
      throw new AssertionError("the --check report of a valid config does not parse: "
          + e.problems() + "\n" + report, e);
    }
  }

  /**
   * A valid config written differently — indentation, trailing blanks and CRs, comment and blank
   * lines, spacing around '=' chosen per line by the input — always parses, to the same settings.
   * A parser that refuses good configs fails here. Seeds:
   * {@code ConfigParserFuzzTestInputs/validConfigWrittenDifferently/}.
   */
  @FuzzTest(maxDuration = "5m")
  void validConfigWrittenDifferently(byte[] input) throws ConfigException {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < VALID.length; i++) {
      int v = i < input.length ? input[i] & 0xFF : 0;
      String l = VALID[i];
      if ((v & 16) != 0) {
        l = l.replaceFirst(" = ", "\t=  ");
      }
      if ((v & 4) != 0) {
        b.append((v & 32) != 0 ? "; " : "# ").append(l).append('\n');
      }
      b.append((v & 1) != 0 ? " \t " : "").append(l).append((v & 2) != 0 ? " \t\r" : "")
          .append('\n');
      if ((v & 8) != 0) {
        b.append((v & 64) != 0 ? "   \n" : "\n");
      }
    }
    FakeFiles files = files();
    Config base = ConfigParser.parse(FILE, String.join("\n", VALID) + "\n", 0644, files);
    Config c;
    try {
      c = ConfigParser.parse(FILE, b.toString(), 0644, files);
    } catch (ConfigException e) {
      throw new AssertionError("a valid config was refused: " + e.problems() + "\n" + b, e);
    }
    assertSameSettings(c, base);
  }

  /** The same options, actions, doors and users (keys compared by the key file they come from). */
  static void assertSameSettings(Config actual, Config expected) {
    assertThat(actual.options()).isEqualTo(expected.options());
    assertThat(actual.actions()).isEqualTo(expected.actions());
    assertThat(actual.doors()).isEqualTo(expected.doors());
    assertThat(actual.users()).usingRecursiveFieldByFieldElementComparatorIgnoringFields("key")
        .isEqualTo(expected.users());
  }
}
