package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12's client edges: each gives one line {@code knock: ...} with its documented exit code,
 * at once (no hang, no stack trace), and nothing on standard output.
 */
@Timeout(20)
class ClientEdgesTest extends ClientTest {
  @Test
  void anEmptyHostIsAUsageErrorNotLocalhost() {
    String msg = "empty HOST (an unset variable?): name the server, e.g. knock server.example.org"
        + " \"open 22 30m\"";
    assertFails(2, msg, "", "open 22");
    assertFails(2, msg, "--print", "", "open 22");
    assertFails(2, msg, " ", "7000", "8000");
  }

  @Test
  void aDeviceAsKeyIsRefusedAtOnce() {
    assertFails(4, "cannot read key file /dev/zero: a character device, not a regular file",
        "-k", "/dev/zero", "--print", "127.0.0.1", "open 22");
  }

  @Test
  void aFifoAsKeyIsRefusedWithoutWaitingForAWriter() throws Exception {
    Path fifo = mkfifo(home.resolve("fifo.key"));
    assertFails(4, "cannot read key file " + fifo + ": a FIFO, not a regular file",
        "-k", fifo.toString(), "--print", "127.0.0.1", "open 22");
  }

  @Test
  void aHugeKeyFileIsRefusedUnread() throws Exception {
    Path big = home.resolve("big.key");
    Files.createFile(big, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    try (var ch = java.nio.channels.FileChannel.open(big,
        java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {'x'}), 5L << 30); // sparse: 5 GiB + 1
    }
    assertFails(4, "cannot read key file " + big + ": too large (5368709121 bytes; at most 65536)",
        "-k", big.toString(), "--print", "127.0.0.1", "open 22");
  }

  @Test
  void aKeyFileWithAByteOrderMarkIsRead() throws Exception {
    Path key = home.resolve("key");
    Files.writeString(key, "\uFEFF" + Files.readString(key), StandardCharsets.UTF_8);
    c.run("--print", "--source", "127.0.0.1", "open 22");
    assertThat(c.err).isEmpty();
    assertThat(c.exit).isZero();
    assertThat(c.out.split("\n")).hasSize(20);
  }

  @Test
  void messagesGiveTheReasonOnceNotThePathTwice() throws Exception {
    Path notADir = home.resolve("key"); // a regular file: nothing can be below it
    assertFails(4, "cannot read key file " + notADir + "/k: Not a directory",
        "-k", notADir + "/k", "--print", "127.0.0.1", "open 22");
    c.env.put("KNOCK_HOME", notADir.toString());
    assertFails(2, "cannot read " + notADir + "/knockrc: Not a directory",
        "-k", notADir.toString(), "--print", "127.0.0.1", "open 22");
  }

  @Test
  void aFifoAsKnockrcIsRefusedWithoutWaitingForAWriter() throws Exception {
    Path rc = mkfifo(home.resolve("knockrc"));
    assertFails(2, "cannot read " + rc + ": a FIFO, not a regular file",
        "--print", "127.0.0.1", "open 22");
  }

  @Test
  void knockrcWithAByteOrderMarkIsRead() throws Exception {
    Files.writeString(home.resolve("knockrc"), "\uFEFF[default]\nsource = yes\n",
        StandardCharsets.UTF_8);
    c.run("-v", "--print", "127.0.0.1", "open 22");
    assertThat(c.exit).as(c.err).isZero();
    assertThat(c.err).contains("for the knock's source address");
  }

  @Test
  void aKnockrcRangeThatDoesNotFitTheMappingNamesFileAndLine() throws Exception {
    Path rc = home.resolve("knockrc");
    Files.writeString(rc, "[default]\n# the range\nports = 1-2\n");
    assertFails(2, rc + ":3: ports: 1-2 spans 2 ports; the indexed mapping needs 5120, e.g."
        + " 1-5120", "--print", "127.0.0.1", "open 22");
    // the mapping from the command line, the range from the rc file: still the rc's line
    Files.writeString(rc, "[127.0.0.1]\nports = 20000-25119\n");
    assertFails(2, rc + ":2: ports: 20000-25119 spans 5120 ports; the classic mapping needs 256,"
        + " e.g. 20000-20255", "--mapping", "classic", "--print", "127.0.0.1", "open 22");
  }

  @Test
  void aFailedWriteOfPrintOutputIsAnError() throws Exception {
    try (FileOutputStream full = new FileOutputStream("/dev/full")) {
      c.runTo(full, "--print", "--source", "127.0.0.1", "open 22");
    }
    assertThat(c.err).isEqualTo("knock: cannot write standard output: No space left on device\n");
    assertThat(c.exit).isEqualTo(1);
  }

  @Test
  void aFailedWriteOfTheKeygenStanzaIsAnError() throws Exception {
    try (FileOutputStream full = new FileOutputStream("/dev/full")) {
      c.runTo(full, "keygen", "-o", home.resolve("new.key").toString());
    }
    assertThat(c.err).isEqualTo("knock: cannot write standard output: No space left on device\n");
    assertThat(c.exit).isEqualTo(1);
  }

  @Test
  void controlAndBidiCharactersAreEscapedInEveryMessage() throws Exception {
    assertFails(5, "unknown host 'a\\x1b[2Jb\\u202ec." + "x".repeat(64) + "'",
        "a\u001b[2Jb\u202Ec." + "x".repeat(64), "open 22");
    assertFails(2, "run: bad action name 'a\\u202eb\\x1b[31m': use letters, digits, '-', '_' or"
        + " '.', at most 64", "--print", "127.0.0.1", "run a\u202Eb\u001b[31m");
    assertFails(2, "unknown option --\\x1b]0;title\\x07 (see knock --help)", "--\u001b]0;title\u0007");
    Path rc = home.resolve("knockrc");
    Files.writeString(rc, "[default]\ncipher = a\u001b[8m\u2067es\n");
    assertFails(2, rc + ":2: cipher: unknown cipher 'a\\x1b[8m\\u2067es': use twofish or blowfish",
        "--print", "127.0.0.1", "open 22");
    Files.delete(rc);
    Path odd = home.resolve("k\u001b[1m\u202E.key");
    Files.writeString(odd, Files.readString(home.resolve("key")));
    Files.setPosixFilePermissions(odd, PosixFilePermissions.fromString("rw-r--r--"));
    c.run("-k", odd.toString(), "--print", "--source", "127.0.0.1", "open 22");
    assertThat(c.exit).isZero();
    String shown = home + "/k\\x1b[1m\\u202e.key";
    assertThat(c.err).isEqualTo("knock: warning: key file " + shown + " is readable by group or"
        + " others (knockd refuses such files): chmod 600 " + shown + "\n");
  }

  @Test
  void allowAndSourceTogetherAreAUsageError() {
    assertFails(2, "-a and --source exclude each other: grant either a given address, the"
        + " knock's source or its source /64", "-a", "192.0.2.7", "--source", "--print",
        "127.0.0.1", "open 22");
  }

  @Test
  void allowAnIpv6AddressSends36PortsInARangeOf9216() {
    c.run("--print", "-v", "--allow", "2001:db8::7", "-p", "20000-29215", "127.0.0.1", "open 22");
    assertThat(c.exit).as(c.err).isZero();
    String[] ports = c.out.split("\n");
    assertThat(ports).hasSize(36);
    assertThat(Integer.parseInt(ports[35])).isBetween(20000 + 35 * 256, 29215);
    assertThat(c.err).contains("for 2001:db8::7, twofish/indexed in 20000-29215");
    assertFails(2, "an IPv6 address to grant takes 36 ports: the indexed mapping needs a range "
        + "of 9216 ports, and the default range 20000-25119 has 5120: give --ports 20000-29215 "
        + "(the server's KnockPorts must hold them too)", "--print", "--allow", "2001:db8::7",
        "127.0.0.1", "open 22");
    assertFails(2, "-p: 20000-25119 spans 5120 ports; the indexed mapping needs 9216, e.g. "
        + "20000-29215", "--print", "--allow", "2001:db8::7", "-p", "20000-25119", "127.0.0.1",
        "open 22");
    assertFails(2, "an IPv6 address to grant needs protocol 2 and the indexed mapping: drop "
        + "--protocol 1", "--print", "--protocol", "1", "--allow", "2001:db8::7", "127.0.0.1",
        "open 22");
    assertFails(2, "--allow: bad address '::': use an IPv4 address such as 192.0.2.7, an IPv6 "
        + "address such as 2001:db8::7, or --source", "--print", "--allow", "::", "::1",
        "open 22");
    assertFails(2, "--wait watches the door over the family the knock is sent over, and "
        + "2001:db8::7 is granted over IPv6 only: knock without --wait", "--wait", "--allow",
        "2001:db8::7", "-p", "20000-29215", "127.0.0.1", "open 22");
    assertFails(2, "--wait watches the door over the family the knock is sent over, and "
        + "192.0.2.7 is granted over IPv4 only: knock without --wait", "--wait", "--allow",
        "192.0.2.7", "-6", "::1", "open 22");
    // a range of 9216 serves 20-byte knocks too (a server that decodes both)
    c.run("--print", "-p", "20000-29215", "127.0.0.1", "open 22");
    assertThat(c.exit).as(c.err).isZero();
    assertThat(c.out.split("\n")).hasSize(20);
  }

  @Test
  void allowPrefixIs64OverIpv6Only() {
    c.run("--print", "-v", "--allow-prefix", "64", "-6", "::1", "open 22");
    assertThat(c.exit).as(c.err).isZero();
    assertThat(c.out.split("\n")).hasSize(20);
    assertThat(c.err).contains("for the knock's source /64");
    assertFails(2, "--allow-prefix 64 works over IPv6 only, and 127.0.0.1 is 127.0.0.1: knock"
        + " with -6 to its IPv6 address", "--print", "--allow-prefix", "64", "127.0.0.1",
        "open 22");
    assertFails(2, "--allow-prefix: '48': use 64 (grant the knock's IPv6 source /64)",
        "--print", "--allow-prefix", "48", "::1", "open 22");
    assertFails(2, "--source and --allow-prefix exclude each other: grant either a given "
        + "address, the knock's source or its source /64", "--source", "--allow-prefix=64",
        "--print", "::1", "open 22");
    assertFails(2, "--allow-prefix 64 needs protocol 2: drop --protocol 1", "--protocol", "1",
        "--allow-prefix", "64", "--print", "::1", "open 22");
    assertFails(2, "'random' opens a port for one address, not a /64: drop --allow-prefix 64",
        "--allow-prefix", "64", "--print", "::1", "open 22 random");
  }

  @Test
  void waitWithAHugeNumberSaysWhatIsWrongWithIt() {
    assertFails(2, "--wait: 99999999999 seconds is out of range: use 1-3600",
        "--wait", "99999999999", "127.0.0.1", "open 22");
  }

  static Path mkfifo(Path p) throws IOException, InterruptedException {
    Process mk = new ProcessBuilder("mkfifo", "-m", "600", p.toString()).inheritIO().start();
    assertThat(mk.waitFor(5, TimeUnit.SECONDS)).isTrue();
    assertThat(mk.exitValue()).isZero();
    return p;
  }
}
