package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 5 on a real FAT file system (root; mkfs.vfat from dosfstools, fusefat, /dev/fuse;
 * this kernel has no vfat module, so FAT is mounted through FUSE): a key file on it shows a tidy
 * mode 0700 owned by root that no chmod can change, so {@code bin/knockd --check} refuses it with
 * one {@code file:line:} line until the user's section says {@code AllowUncheckedKeyFile = yes}.
 */
class KeyFileSystemIT {
  @TempDir Path dir;

  @Test
  void aKeyOnFatIsRefusedUnlessTheAdminAllowsIt() throws Exception {
    Path image = dir.resolve("fat.img");
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      f.setLength(2 << 20);
    }
    Netns.host("mkfs.vfat", image.toString()).ok();
    Path mnt = Files.createDirectory(dir.resolve("mnt"));
    Process fuse = new ProcessBuilder("fusefat", "-f", "-o", "rw+", image.toString(),
        mnt.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("fusefat.out").toFile())
        .start();
    try {
      long end = System.nanoTime() + 10_000_000_000L;
      while (!Netns.host("findmnt", "-n", "-o", "FSTYPE", mnt.toString()).out().strip()
          .equals("fuse.fusefat")) {
        assertThat(fuse.isAlive()).as("fusefat: %s", Files.readString(dir.resolve("fusefat.out")))
            .isTrue();
        assertThat(System.nanoTime()).as("fusefat mounted within 10 s").isLessThan(end);
        Thread.sleep(50);
      }
      Path key = mnt.resolve("admin.key");
      Netns.run(List.of("env", "KNOCK_HOME=" + dir.resolve("home"), Lab.script("knock"), "keygen",
          "-o", key.toString(), "--user", "admin"), 30).ok();
      assertThat(Netns.host("chmod", "600", key.toString()).exit())
          .as("FAT keeps no modes").isNotZero();
      assertThat(Netns.host("stat", "-c", "%a %u", key.toString()).out().strip())
          .as("the made-up mode and owner that would pass a plain mode check").isEqualTo("700 0");

      Path conf = dir.resolve("knockd.conf");
      // --check runs as root here: AllowRoot says that is meant (the check would refuse it)
      String text = "[options]\nAuditLog = -\nAllowRoot = yes\nStateDir = " + dir.resolve("state")
          + "\n[user admin]\nKey = " + key + "\n"
          + "Allow = open 22/tcp\n";
      Files.writeString(conf, text);
      Netns.Result refused = check(conf);
      assertThat(refused.exit()).isNotZero();
      assertThat(KnockdProcess.ownErr(refused.err())).isEqualTo(conf + ":6: key file " + key + " is on a file system "
          + "without POSIX permissions: knockd cannot tell who may read it; keep it on one that "
          + "has them (mode 600), or set AllowUncheckedKeyFile = yes\n");

      Files.writeString(conf, text + "AllowUncheckedKeyFile = yes\n");
      Netns.Result allowed = check(conf);
      assertThat(allowed.exit()).as(allowed.err()).isZero();
      assertThat(allowed.out()).contains("Key                = " + key + "\n")
          .contains("AllowUncheckedKeyFile = yes\n");
    } finally {
      Netns.host("fusermount", "-u", mnt.toString());
      if (!fuse.waitFor(10, TimeUnit.SECONDS)) {
        fuse.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  private static Netns.Result check(Path conf) {
    return Netns.run(List.of(Lab.script("knockd"), "--check", "--config", conf.toString()), 60);
  }
}
