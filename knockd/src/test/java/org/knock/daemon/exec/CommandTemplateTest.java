package org.knock.daemon.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CommandTemplateTest {
  private static final Map<String, String> VARS =
      Map.of("IP", "192.0.2.1", "USER", "alice", "PORT", "22", "PROTO", "tcp");

  @Test
  void splitsOnBlanksAndSubstitutes() {
    CommandTemplate t = CommandTemplate.parse(
        "/usr/sbin/iptables  -A INPUT -s %IP% -p %PROTO%\t--dport %PORT% -j ACCEPT");
    assertThat(t.variables()).containsExactly("IP", "PROTO", "PORT");
    assertThat(t.expand(VARS)).containsExactly("/usr/sbin/iptables", "-A", "INPUT", "-s",
        "192.0.2.1", "-p", "tcp", "--dport", "22", "-j", "ACCEPT");
  }

  @Test
  void quotesKeepBlanksAndMayBeGluedToText() {
    CommandTemplate t = CommandTemplate.parse(
        "logger -t 'knock d' \"opened for %USER% from %IP%\" --comment=\"a b\"'c d' '' x\"\"y");
    assertThat(t.expand(VARS)).containsExactly("logger", "-t", "knock d",
        "opened for alice from 192.0.2.1", "--comment=a bc d", "", "xy");
  }

  @Test
  void quotesDoNotNestAndHoldTheOtherQuote() {
    assertThat(CommandTemplate.parse("echo \"it's\" 'say \"hi\"'").expand(Map.of()))
        .containsExactly("echo", "it's", "say \"hi\"");
  }

  @Test
  void otherPercentTextStaysLiteral() {
    assertThat(CommandTemplate.parse("date +%Y%m%d %ip% 100% %IPX%").expand(Map.of()))
        .containsExactly("date", "+%Y%m%d", "%ip%", "100%", "%IPX%");
  }

  @Test
  void aValueIsOneArgumentEvenWhenRepeated() {
    assertThat(CommandTemplate.parse("x %IP%:%PORT%/%PROTO%%IP%").expand(VARS))
        .containsExactly("x", "192.0.2.1:22/tcp192.0.2.1");
  }

  @Test
  void acceptsIpv6Literals() {
    assertThat(CommandTemplate.parse("x %IP%").expand(Map.of("IP", "2001:db8::1")))
        .containsExactly("x", "2001:db8::1");
  }

  @Test
  void parseErrorsAreOneLine() {
    assertThatThrownBy(() -> CommandTemplate.parse("  ")).hasMessage("empty command template");
    assertThatThrownBy(() -> CommandTemplate.parse("echo 'open"))
        .hasMessage("unterminated ' quote in command template: echo 'open");
    assertThatThrownBy(() -> CommandTemplate.parse("echo \"a'"))
        .hasMessage("unterminated \" quote in command template: echo \"a'");
    assertThatThrownBy(() -> CommandTemplate.parse("echo a\nrm -rf /"))
        .hasMessage("command template has a control character at position 7");
    assertThatThrownBy(() -> CommandTemplate.parse("/bin/%USER%-script x"))
        .hasMessage("the program name of a command template cannot hold %USER%: /bin/%USER%-script");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1.2.3", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "example.com", "abc",
      "1.2.3.4;reboot", "::1%eth0", "1:2", "-1.2.3.4"})
  void refusesBadAddresses(String ip) {
    assertThatThrownBy(() -> CommandTemplate.parse("x %IP%").expand(Map.of("IP", ip)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("bad value for %IP%: '")
        .hasMessageEndingWith("(expected an IPv4 or IPv6 address literal)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-rf", "a b", "a;b", "$(id)", "é", "a/b",
      "u12345678901234567890123456789012345678901234567890123456789012345"})
  void refusesBadUsers(String user) {
    assertThatThrownBy(() -> CommandTemplate.parse("x %USER%").expand(Map.of("USER", user)))
        .hasMessageStartingWith("bad value for %USER%");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "65536", "022", "-1", "22 ", "1e3", ""})
  void refusesBadPorts(String port) {
    assertThatThrownBy(() -> CommandTemplate.parse("x %PORT%").expand(Map.of("PORT", port)))
        .hasMessageStartingWith("bad value for %PORT%");
  }

  @Test
  void refusesBadProtocolUnknownAndMissingVariables() {
    CommandTemplate t = CommandTemplate.parse("x %PROTO% %IP%");
    assertThatThrownBy(() -> t.expand(Map.of("PROTO", "TCP", "IP", "192.0.2.1")))
        .hasMessage("bad value for %PROTO%: 'TCP' (expected tcp or udp)");
    assertThatThrownBy(() -> t.expand(Map.of("PROTO", "tcp", "IP", "192.0.2.1", "HOST", "x")))
        .hasMessage("unknown command template variable %HOST%");
    assertThatThrownBy(() -> t.expand(Map.of("PROTO", "tcp")))
        .hasMessage("command template uses %IP% but no value was given: x %PROTO% %IP%");
  }

  @Test
  void validatesValuesEvenWhenUnused() {
    assertThatThrownBy(() -> CommandTemplate.parse("true").expand(Map.of("USER", "-x")))
        .hasMessageStartingWith("bad value for %USER%: '-x'");
  }

  @Test
  void messageShowsControlCharactersAsQuestionMarks() {
    assertThatThrownBy(() -> CommandTemplate.parse("x %USER%").expand(Map.of("USER", "a\nb")))
        .hasMessageStartingWith("bad value for %USER%: 'a?b'");
  }

  @Test
  void keepsTheTextAsWritten() {
    assertThat(CommandTemplate.parse(" echo 'a' ").toString()).isEqualTo(" echo 'a' ");
  }
}
