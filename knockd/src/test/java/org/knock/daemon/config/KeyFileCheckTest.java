package org.knock.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.KnockKey;

/**
 * Issue 13 item 5: knockd refuses a key file owned by anyone but root or its own user, and one on
 * a file system without POSIX permissions unless the user's section says AllowUncheckedKeyFile.
 * (A real FAT file system: it/KeyFileSystemIT.)
 */
class KeyFileCheckTest {
  private static final Path FILE = Path.of("knockd.conf");
  private static final String KEY = "# test key\n" + KnockKey.generate(new Random(3)).toBase64();
  private final FakeFiles files = new FakeFiles();

  private Config parse(String text) throws ConfigException {
    return ConfigParser.parse(FILE, text, 0600, files);
  }

  @Test
  void aKeyOwnedByAnotherUserIsRefused() {
    files.put("/k/a.key", KEY, 0600, 1000);
    assertThatThrownBy(() -> parse("[user a]\nAllow = open 22\nKey = /k/a.key\n"))
        .hasMessage("knockd.conf:3: key file /k/a.key is owned by uid 1000, not by root, which "
            + "knockd runs as: chown root /k/a.key");
    files.euid = 998; // knockd as the user knockd (etc/knockd.service)
    assertThatThrownBy(() -> parse("[user a]\nAllow = open 22\nKey = /k/a.key\n"))
        .hasMessage("knockd.conf:3: key file /k/a.key is owned by uid 1000, not by uid 998 "
            + "(knockd's user) or root: chown 998 /k/a.key");
  }

  @Test
  void aKeyOwnedByRootOrByKnockdsOwnUserIsAccepted() throws Exception {
    files.euid = 998;
    files.put("/k/root.key", KEY, 0600, 0);
    files.put("/k/own.key", "# own\n" + KnockKey.generate(new Random(4)).toBase64(), 0400, 998);
    Config c = parse("[user a]\nKey = /k/root.key\nAllow = open 22\n"
        + "[user b]\nKey = /k/own.key\nAllow = open 22\n");
    assertThat(c.users()).hasSize(2);
  }

  @Test
  void theOwnerIsCheckedBeforeTheMode() {
    files.put("/k/a.key", KEY, 0644, 1000);
    assertThatThrownBy(() -> parse("[user a]\nKey = /k/a.key\nAllow = open 22\n"))
        .hasMessageContaining("is owned by uid 1000");
  }

  @Test
  void aKeyOnAFileSystemWithoutPosixPermissionsNeedsTheAdminsWord() throws Exception {
    files.put("/media/usb/a.key", KEY, -1, 0);
    assertThatThrownBy(() -> parse("[user a]\nKey = /media/usb/a.key\nAllow = open 22\n"))
        .hasMessage("knockd.conf:2: key file /media/usb/a.key is on a file system without POSIX "
            + "permissions: knockd cannot tell who may read it; keep it on one that has them "
            + "(mode 600), or set AllowUncheckedKeyFile = yes");
    String text = "[user a]\nKey = /media/usb/a.key\nAllowUncheckedKeyFile = yes\n"
        + "Allow = open 22\n";
    Config c = parse(text);
    assertThat(c.users().get(0).uncheckedKeyFile()).isTrue();
    String report = ConfigReport.render(c);
    assertThat(report).contains("AllowUncheckedKeyFile = yes\n");
    assertThat(parse(report).users().get(0).uncheckedKeyFile()).isTrue();
    assertThatThrownBy(() -> parse(text.replace("= yes", "= no")))
        .hasMessageContaining("or set AllowUncheckedKeyFile = yes");
  }

  @Test
  void anUnknownOwnerCountsAsUnchecked() {
    files.put("/k/a.key", KEY, 0600, -1);
    assertThatThrownBy(() -> parse("[user a]\nKey = /k/a.key\nAllow = open 22\n"))
        .hasMessageContaining("without POSIX permissions");
  }

  @Test
  void allowUncheckedKeyFileNeedsAKeyFile() {
    assertThatThrownBy(() -> parse("[user a]\nPassphrase = correct horse battery\n"
        + "AllowUncheckedKeyFile = yes\nAllow = open 22\n"))
        .hasMessage("knockd.conf:3: AllowUncheckedKeyFile needs Key = FILE");
  }

  @Test
  void fatExfatNtfsAndSmbHaveNoPosixPermissionsEvenWhenTheJdkShowsModes() {
    for (String type : new String[] {"vfat", "msdos", "exfat", "ntfs3", "fuseblk", "fuse.fusefat",
        "cifs", "smb3"}) {
      assertThat(LocalFiles.hasPosixPermissions(new Store(type, true))).as(type).isFalse();
    }
    for (String type : new String[] {"ext4", "xfs", "btrfs", "tmpfs", "overlay"}) {
      assertThat(LocalFiles.hasPosixPermissions(new Store(type, true))).as(type).isTrue();
    }
    assertThat(LocalFiles.hasPosixPermissions(new Store("ext4", false))).isFalse();
  }

  /** The real loader as root: a key chown'ed to another uid, then back to root. */
  @Test
  void realLoaderRefusesAKeyChownedToAnotherUser(@TempDir Path dir) throws Exception {
    assumeTrue(new LocalFiles().effectiveUid() == 0, "chown needs root (bin/check runs as root)");
    Path key = dir.resolve("k.key");
    Files.writeString(key, KEY + "\n");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Files.setAttribute(key, "unix:uid", 4242);
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, "[user a]\nKey = k.key\nAllow = open 22\n");
    assertThat(catchThrowable(() -> ConfigLoader.load(conf))).isInstanceOf(ConfigException.class)
        .hasMessage(conf + ":2: key file " + key + " is owned by uid 4242, not by root, which "
            + "knockd runs as: chown root " + key);
    Files.setAttribute(key, "unix:uid", 0);
    assertThat(ConfigLoader.load(conf).users()).hasSize(1);
  }

  @Test
  void theEffectiveUidIsRead() throws IOException {
    String status = Files.readString(Path.of("/proc/self/status"));
    assertThat(status).contains("Uid:\t");
    assertThat(new LocalFiles().effectiveUid())
        .isEqualTo(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
  }

  /** A file store that reports a type and whether it has the POSIX view. */
  private static final class Store extends FileStore {
    private final String type;
    private final boolean posix;

    Store(String type, boolean posix) {
      this.type = type;
      this.posix = posix;
    }

    @Override
    public String name() {
      return type;
    }

    @Override
    public String type() {
      return type;
    }

    @Override
    public boolean isReadOnly() {
      return false;
    }

    @Override
    public long getTotalSpace() {
      return 0;
    }

    @Override
    public long getUsableSpace() {
      return 0;
    }

    @Override
    public long getUnallocatedSpace() {
      return 0;
    }

    @Override
    public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
      return type == PosixFileAttributeView.class ? posix : true;
    }

    @Override
    public boolean supportsFileAttributeView(String name) {
      return name.equals("posix") ? posix : true;
    }

    @Override
    public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
      return null;
    }

    @Override
    public Object getAttribute(String attribute) {
      return null;
    }
  }
}
