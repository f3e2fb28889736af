package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/** Every bad input gives one line "knock: ..." and its exit code; nothing is sent. */
class MainTest extends ClientTest {
  @Test
  void helpDocumentsTheExitCodesAndTheTimestampHook() {
    c.run("--help");
    assertThat(c.exit).isZero();
    assertThat(c.out).contains("usage: knock [options] HOST \"COMMAND\"")
        .contains("  3  --wait: the port did not open in time")
        .contains("  4  key problem").contains("  5  network problem")
        .contains("--timestamp UNIX_SECONDS  test/debug hook")
        .contains("classic: 20");
    assertThat(c.err).isEmpty();
  }

  @Test
  void versionNamesTheClient() {
    c.run("--version");
    assertThat(c.exit).isZero();
    assertThat(c.out).startsWith("knock ");
  }

  @Test
  void badCommandsAreUsageErrors() {
    assertFails(2, "missing HOST and COMMAND: knock [options] HOST \"open 22 30m\" (see knock"
        + " --help)");
    assertFails(2, "missing COMMAND after h, e.g. knock h \"open 22 30m\"", "h");
    assertFails(2, "unknown command 'opn': use open, close, deny-further or run",
        "127.0.0.1", "opn 22");
    assertFails(2, "open: bad port '2x2': use a number 1-65535", "127.0.0.1", "open 2x2");
    // open NAME is a forward of the server's: knock cannot know its fixed port to wait on
    assertFails(2, "--wait with 'open NAME' needs 'random': knock does not know a forward's "
        + "fixed Port", "--wait", "127.0.0.1", "open db 30m");
    assertFails(2, "open: port 70000 is out of range 1-65535", "127.0.0.1", "open 70000");
    assertFails(2, "open: bad duration '30x': use a number followed by s, m, h or d",
        "127.0.0.1", "open 22 30x");
    assertFails(2, "bad port '99999': use a number 1-65535", "127.0.0.1", "7000", "99999");
    assertFails(2, "bad protocol in '7000:sctp': use PORT, PORT:tcp or PORT:udp",
        "127.0.0.1", "7000:sctp");
  }

  @Test
  void anEncryptedKnockGoesToAnIpv6Server() {
    c.run("--print", "-v", "-6", "::1", "open 22");
    assertThat(c.exit).isZero();
    assertThat(c.out.split("\n")).hasSize(20);
    assertThat(c.err).contains("for the knock's source address").contains("bound to 0:0:0:0:0:0:0:1");
  }

  @Test
  void unquotedCommandWordsAreJoined() {
    c.run("--print", "--source", "127.0.0.1", "open", "22", "30m");
    assertThat(c.exit).isZero();
    assertThat(c.out.split("\n")).hasSize(20);
  }

  @Test
  void optionsThatDoNotFitTheCommandAreRefused() {
    assertFails(2, "--print is for encrypted commands: a static sequence is already its ports",
        "--print", "127.0.0.1", "7000", "8000");
    assertFails(2, "--wait is for encrypted commands, not a static sequence",
        "--wait", "127.0.0.1", "7000");
    assertFails(2, "-k, -a, --source, -p, --cipher and --mapping are for encrypted commands, not"
        + " a static sequence", "--cipher", "blowfish", "127.0.0.1", "7000");
    assertFails(2, "--wait works with 'open PORT' of a TCP port only",
        "--wait", "127.0.0.1", "close 22");
    assertFails(2, "--wait works with 'open PORT' of a TCP port only",
        "--wait", "127.0.0.1", "open 53/udp");
    assertFails(2, "--wait and --print exclude each other: --print sends nothing",
        "--wait", "--print", "127.0.0.1", "open 22");
    assertFails(5, "host '127.0.0.1' has no IPv6 address", "-6", "127.0.0.1", "open 22");
    assertFails(2, "-p: 20000-20100 spans 101 ports; the indexed mapping needs 5120, e.g."
        + " 20000-25119", "-p", "20000-20100", "--print", "127.0.0.1", "open 22");
    assertFails(2, "--ports: 20000-25119 spans 5120 ports; the classic mapping needs 256, e.g."
        + " 20000-20255", "--ports", "20000-25119", "--mapping", "classic", "--print",
        "127.0.0.1", "open 22");
    assertFails(2, "-p: 65000-65535 spans 536 ports; the indexed mapping needs 5120, e.g."
        + " 60416-65535", "-p", "65000-65535", "--print", "127.0.0.1", "open 22");
  }

  @Test
  void keyProblemsExitWithFour() throws Exception {
    Path missing = home.resolve("nokey");
    assertFails(4, "no key file " + missing + ": create one with 'knock keygen' or name one with"
        + " -k FILE", "-k", missing.toString(), "--print", "127.0.0.1", "open 22");
    assertFails(4, "cannot read key file " + home + ": a directory, not a regular file",
        "-k", home.toString(), "--print", "127.0.0.1", "open 22");
    Path bad = home.resolve("bad.key");
    Files.writeString(bad, "not a key!\n");
    Files.setPosixFilePermissions(bad, PosixFilePermissions.fromString("rw-------"));
    assertFails(4, bad + ": key file is not base64",
        "-k", bad.toString(), "--print", "127.0.0.1", "open 22");
    Files.writeString(bad, "# only a comment\n");
    assertFails(4, bad + ": key file holds no key",
        "-k", bad.toString(), "--print", "127.0.0.1", "open 22");
  }

  @Test
  void theDefaultKeyIsKnockHomeKey() throws Exception {
    Files.delete(home.resolve("key"));
    assertFails(4, "no key file " + home.resolve("key") + ": create one with 'knock keygen' or"
        + " name one with -k FILE", "--print", "127.0.0.1", "open 22");
  }

  @Test
  void aKeyOthersMayReadIsUsedWithAWarning() throws Exception {
    Path key = home.resolve("key");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    c.run("--print", "--source", "127.0.0.1", "open 22");
    assertThat(c.exit).isZero();
    assertThat(c.out.split("\n")).hasSize(20);
    assertThat(c.err).isEqualTo("knock: warning: key file " + key + " is readable by group or"
        + " others (knockd refuses such files): chmod 600 " + key + "\n");
  }

  @Test
  void unknownHostIsANetworkProblem() {
    // a label longer than 63 characters: the resolver refuses it without asking any DNS server
    String host = "a".repeat(70) + ".invalid";
    assertFails(5, "unknown host '" + host + "'", host, "open 22");
    assertFails(5, "unknown host '" + host + "'", host, "7000", "8000");
  }

  @Test
  void rcFileErrorsNameFileAndLine() throws Exception {
    Path rc = home.resolve("knockrc");
    Files.writeString(rc, "[default]\ncipher = twofish\nmapping = scattered\n");
    assertFails(2, rc + ":3: mapping: unknown mapping 'scattered': use indexed or classic",
        "--print", "127.0.0.1", "open 22");
  }
}
