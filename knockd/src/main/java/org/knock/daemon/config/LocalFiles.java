package org.knock.daemon.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.Set;
import org.knock.core.KnockKey;

/**
 * {@link ConfigFiles} on the local file system; files over 1 MiB or not UTF-8 are refused. A file
 * on a file system without POSIX permissions reads with mode -1.
 */
final class LocalFiles implements ConfigFiles {
  static final int MAX_SIZE = 1 << 20;

  @Override
  public Content read(Path file) throws IOException {
    if (Files.exists(file) && !Files.isRegularFile(file)) {
      throw new FileSystemException(file.toString(), null, "not a regular file");
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_SIZE + 1);
    }
    if (bytes.length > MAX_SIZE) {
      throw new FileSystemException(file.toString(), null, "larger than 1 MiB");
    }
    return new Content(utf8(file, bytes), mode(file), owner(file));
  }

  @Override
  public Content createKey(Path file, String userName) throws IOException {
    Set<PosixFilePermission> rw = PosixFilePermissions.fromString("rw-------");
    String text = "# knock key of user " + userName + ", created by knockd.\n"
        + "# Give a copy to " + userName + "'s client over a safe channel; keep both mode 600.\n"
        + KnockKey.generate(new SecureRandom()).toBase64() + "\n";
    Files.createFile(file, PosixFilePermissions.asFileAttribute(rw));
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
      ch.force(true);
    }
    return new Content(text, mode(file), owner(file));
  }

  /**
   * File systems whose modes and owners are made up (from mount options, or fixed) rather than
   * stored per file. The JDK knows vfat alone ({@link FileStore#supportsFileAttributeView}).
   */
  static final Set<String> WITHOUT_POSIX = Set.of("vfat", "msdos", "fat", "exfat", "ntfs",
      "ntfs3", "fuseblk", "fuse.fusefat", "fuse.exfat", "fuse.ntfs-3g", "cifs", "smb3", "smbfs");

  /** The permission bits of a file, or -1 where the file system has none. */
  static int mode(Path file) throws IOException {
    if (!hasPosixPermissions(Files.getFileStore(file))) {
      return -1;
    }
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      return -1;
    }
    int mode = 0;
    for (PosixFilePermission p : perms) {
      mode |= 1 << (8 - p.ordinal());
    }
    return mode;
  }

  static boolean hasPosixPermissions(FileStore store) {
    return store.supportsFileAttributeView(PosixFileAttributeView.class)
        && !WITHOUT_POSIX.contains(store.type().toLowerCase(Locale.ROOT));
  }

  /** The uid owning a file, or -1 if the file system does not say. */
  static int owner(Path file) throws IOException {
    try {
      return (Integer) Files.getAttribute(file, "unix:uid");
    } catch (UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
      return -1;
    }
  }

  @Override
  public int effectiveUid() {
    return EffectiveUid.VALUE;
  }

  /** The effective uid, read once from /proc/self/status ("Uid: real effective saved fs"). */
  private static final class EffectiveUid {
    static final int VALUE = read();

    private static int read() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("Uid:")) {
            return Integer.parseInt(line.substring(4).strip().split("\\s+")[1]);
          }
        }
      } catch (IOException | RuntimeException e) {
        // below
      }
      return -1; // unknown: only root-owned key files pass
    }
  }

  static String utf8(Path file, byte[] bytes) throws IOException {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new FileSystemException(file.toString(), null, "not UTF-8 text");
    }
  }
}
