package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.KnockKey;

class KeygenTest {
  @TempDir Path home;

  @Test
  void writesAKeyWithMode0600AndPrintsTheStanza() throws Exception {
    ClientRun c = new ClientRun(home.resolve("knock-home")).run("keygen", "--user", "alice");
    assertThat(c.exit).as(c.err).isZero();
    Path key = home.resolve("knock-home/key");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key.getParent())))
        .isEqualTo("rwx------");
    KnockKey parsed = KnockKey.parse(Files.readString(key));
    assertThat(parsed.toBase64()).hasSize(44);
    assertThat(c.out).contains("[user alice]\nKey = /etc/knockd/alice.key\nAllow = open 22/tcp\n")
        .contains("# Key written to " + key + " (mode 0600)")
        .contains("install -m 0600 -o knockd -g knockd key /etc/knockd/alice.key");
    assertThat(c.err).isEmpty();
  }

  @Test
  void theUserDefaultsToUserAndTheFileToOption() throws Exception {
    Path file = home.resolve("sub/my.key");
    ClientRun c = new ClientRun(home).run("keygen", "-o", file.toString());
    assertThat(c.exit).isZero();
    assertThat(c.out).contains("[user tester]");
    assertThat(KnockKey.parse(Files.readString(file))).isNotNull();
  }

  @Test
  void refusesToOverwriteWithoutForce() throws Exception {
    Path file = home.resolve("k");
    ClientRun c = new ClientRun(home).run("keygen", "-o", file.toString());
    String first = Files.readString(file);
    c.run("keygen", "-o", file.toString());
    assertThat(c.exit).isEqualTo(4);
    assertThat(c.err).isEqualTo("knock: keygen: " + file
        + " exists: refusing to overwrite a key (use --force to replace it)\n");
    assertThat(Files.readString(file)).isEqualTo(first);

    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    c.run("keygen", "-o", file.toString(), "--force");
    assertThat(c.exit).isZero();
    assertThat(Files.readString(file)).isNotEqualTo(first);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    try (var files = Files.list(home)) {
      assertThat(files).containsExactly(file); // no temporary file left behind
    }
  }

  @Test
  void badArgumentsAreUsageErrors() {
    ClientRun c = new ClientRun(home);
    c.run("keygen", "--user", "al ice");
    assertThat(c.err).isEqualTo("knock: keygen: bad user name 'al ice': use letters, digits, '-',"
        + " '_' or '.'\n");
    assertThat(c.exit).isEqualTo(2);
    c.run("keygen", "-o");
    assertThat(c.err).isEqualTo("knock: keygen: -o needs a value\n");
    c.run("keygen", "--bits", "512");
    assertThat(c.err).isEqualTo("knock: keygen: unexpected '--bits' (see knock keygen --help)\n");
    assertThat(c.exit).isEqualTo(2);
    assertThat(home.resolve("key")).doesNotExist();
  }

  @Test
  void refusesADeviceEvenWithForce() throws Exception {
    ClientRun c = new ClientRun(home);
    for (String[] args : new String[][] {{"keygen", "-o", "/dev/full"},
        {"keygen", "--force", "-o", "/dev/full"}}) {
      c.run(args);
      assertThat(c.err).isEqualTo("knock: keygen: /dev/full is a character device, not a regular"
          + " file: refusing to replace it\n");
      assertThat(c.exit).isEqualTo(4);
      assertThat(c.out).isEmpty();
    }
    assertThat(Files.isRegularFile(Path.of("/dev/full"))).isFalse();
  }

  @Test
  void refusesADirectoryAFifoAndASymbolicLink() throws Exception {
    ClientRun c = new ClientRun(home);
    Path dir = Files.createDirectory(home.resolve("dir"));
    c.run("keygen", "--force", "-o", dir.toString());
    assertThat(c.err).isEqualTo("knock: keygen: " + dir + " is a directory, not a regular file:"
        + " refusing to replace it\n");
    Path fifo = ClientEdgesTest.mkfifo(home.resolve("fifo"));
    c.run("keygen", "--force", "-o", fifo.toString());
    assertThat(c.err).isEqualTo("knock: keygen: " + fifo + " is a FIFO, not a regular file:"
        + " refusing to replace it\n");
    Path target = home.resolve("target");
    Files.writeString(target, "keep me\n");
    Path link = Files.createSymbolicLink(home.resolve("link"), target);
    c.run("keygen", "--force", "-o", link.toString());
    assertThat(c.err).isEqualTo("knock: keygen: " + link + " is a symbolic link, not a regular"
        + " file: refusing to replace it\n");
    assertThat(c.exit).isEqualTo(4);
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(Files.readString(target)).isEqualTo("keep me\n");
  }

  @Test
  void aParentThatIsNotADirectoryGivesTheReason() throws Exception {
    Path file = Files.writeString(home.resolve("plain"), "x");
    ClientRun c = new ClientRun(home).run("keygen", "-o", file + "/sub/key");
    assertThat(c.err).isEqualTo("knock: keygen: cannot write " + file + "/sub/key: Not a"
        + " directory\n");
    assertThat(c.exit).isEqualTo(4);
  }
}
