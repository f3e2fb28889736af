package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.knock.core.CipherSuite;
import org.knock.core.PortMapping;

class ClientOptionsTest {
  @Test
  void readsEveryOptionInLongAndShortForm() throws Exception {
    ClientOptions o = ClientOptions.parse(new String[] {"-k", "/k", "--allow=192.0.2.7",
        "-p", "30000-35119", "--cipher", "blowfish", "--mapping=classic", "-d15", "--print",
        "--timestamp", "1700000000", "-uv4", "host", "open 22 30m"});
    assertThat(o.settings.key).isEqualTo("/k");
    assertThat(o.settings.grant).isEqualTo("192.0.2.7");
    assertThat(o.settings.ports).containsExactly(30000, 35119);
    assertThat(o.settings.cipher).isEqualTo(CipherSuite.BLOWFISH);
    assertThat(o.settings.mapping).isEqualTo(PortMapping.CLASSIC);
    assertThat(o.settings.delay).isEqualTo(15);
    assertThat(o.print).isTrue();
    assertThat(o.timestamp).isEqualTo(1700000000L);
    assertThat(o.udp).isTrue();
    assertThat(o.verbose).isTrue();
    assertThat(o.family).isEqualTo(4);
    assertThat(o.operands).containsExactly("host", "open 22 30m");
  }

  @Test
  void optionsMayFollowOperandsAndDoubleDashEndsThem() throws Exception {
    ClientOptions o = ClientOptions.parse(new String[] {"host", "--source", "--", "-v", "x"});
    assertThat(o.settings.grant).isEqualTo(KnockSettings.GRANT_SOURCE);
    assertThat(o.verbose).isFalse();
    assertThat(o.operands).containsExactly("host", "-v", "x");
  }

  @Test
  void waitTakesAnOptionalNumberOfSeconds() throws Exception {
    assertThat(ClientOptions.parse(new String[] {"--wait", "h", "open 22"}).waitSeconds)
        .isEqualTo(ClientOptions.DEFAULT_WAIT_SECONDS);
    ClientOptions o = ClientOptions.parse(new String[] {"--wait", "3", "h", "open 22"});
    assertThat(o.waitSeconds).isEqualTo(3);
    assertThat(o.operands).containsExactly("h", "open 22");
    assertThat(ClientOptions.parse(new String[] {"--wait=7", "h"}).waitSeconds).isEqualTo(7);
    assertThat(ClientOptions.parse(new String[] {"h", "open 22", "--wait"}).waitSeconds)
        .isEqualTo(10);
  }

  @Test
  void retriesTakesANumberAndRepeatedOptionsOfOneKindAreFine() throws Exception {
    assertThat(ClientOptions.parse(new String[] {"h", "open 22"}).retries).isNull();
    assertThat(ClientOptions.parse(new String[] {"--retries", "0", "h"}).retries).isZero();
    assertThat(ClientOptions.parse(new String[] {"--retries=10", "h"}).retries).isEqualTo(10);
    ClientOptions o = ClientOptions.parse(new String[] {"-a", "192.0.2.7", "--allow",
        "192.0.2.8"});
    assertThat(o.settings.grant).isEqualTo("192.0.2.8");
    assertThat(ClientOptions.parse(new String[] {"--source", "--source"}).settings.grant)
        .isEqualTo(KnockSettings.GRANT_SOURCE);
  }

  @Test
  void badOptionsSayWhatIsWrong() {
    assertUsage(new String[] {"--bogus"}, "unknown option --bogus (see knock --help)");
    assertUsage(new String[] {"-x"}, "unknown option -x (see knock --help)");
    assertUsage(new String[] {"-k"}, "-k needs a value");
    assertUsage(new String[] {"--key"}, "--key needs a value");
    assertUsage(new String[] {"--print=yes"}, "--print takes no value");
    assertUsage(new String[] {"-p", "20000"},
        "-p: bad range '20000': use START-END, e.g. 20000-25119");
    assertUsage(new String[] {"--ports", "9-3"},
        "--ports: bad range '9-3': use START-END, e.g. 20000-25119");
    assertUsage(new String[] {"--cipher", "aes"},
        "--cipher: unknown cipher 'aes': use twofish or blowfish");
    assertUsage(new String[] {"--mapping", "sorted"},
        "--mapping: unknown mapping 'sorted': use indexed or classic");
    assertUsage(new String[] {"-d", "fast"}, "-d: bad delay 'fast': use milliseconds 0-60000");
    assertUsage(new String[] {"-a", "10.0.0.256"},
        "-a: bad address '10.0.0.256': use an IPv4 address such as 192.0.2.7, an IPv6 address "
            + "such as 2001:db8::7, or --source");
    assertUsage(new String[] {"-a", "0.0.0.0"}, "-a: 0.0.0.0 cannot be granted: use --source to"
        + " grant the knock's own source address");
    assertUsage(new String[] {"--timestamp", "yesterday"},
        "--timestamp: bad time 'yesterday': use Unix seconds");
    assertUsage(new String[] {"--timestamp", "9999999999"},
        "--timestamp: 9999999999 is beyond 2106 (the payload holds 32 bits)");
    assertUsage(new String[] {"--wait=0"}, "--wait: 0 seconds is out of range: use 1-3600");
    assertUsage(new String[] {"--wait=soon"}, "--wait: bad number of seconds 'soon': use 1-3600");
    // a number too long for an int is still the number of seconds, not HOST
    assertUsage(new String[] {"--wait", "99999999999", "h", "open 22"},
        "--wait: 99999999999 seconds is out of range: use 1-3600");
    assertUsage(new String[] {"--retries", "11"}, "--retries: 11 is out of range: use 0-10");
    assertUsage(new String[] {"--retries=many"}, "--retries: bad number 'many': use 0-10");
    assertUsage(new String[] {"--retries"}, "--retries needs a value");
    assertUsage(new String[] {"-4", "-6"}, "-4 and -6 exclude each other");
    assertUsage(new String[] {"--allow", "192.0.2.7", "--source"}, "--allow and --source exclude"
        + " each other: grant either a given address, the knock's source or its source /64");
    assertUsage(new String[] {"--source", "-a", "192.0.2.7"}, "--source and -a exclude each"
        + " other: grant either a given address, the knock's source or its source /64");
  }

  private static void assertUsage(String[] args, String message) {
    assertThatThrownBy(() -> ClientOptions.parse(args))
        .isInstanceOfSatisfying(ClientException.class, e -> {
          assertThat(e.getMessage()).isEqualTo(message);
          assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE);
        });
  }
}
