package org.knock.client;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Set;
import org.knock.core.KnockKey;

/**
 * {@code knock keygen [-o FILE] [--user NAME] [--force]}: writes a new random key, created with
 * mode 0600 from the start (never widened), and never overwrites a file without {@code --force}
 * (which replaces it atomically). It writes only to a new path or over a regular file: a device,
 * FIFO, directory or symbolic link is refused even with {@code --force}. Returns the knockd.conf
 * stanza for the key, for standard output.
 */
final class Keygen {
  private static final Set<PosixFilePermission> OWNER_RW =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  private static final Set<PosixFilePermission> OWNER_RWX = EnumSet.of(
      PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
      PosixFilePermission.OWNER_EXECUTE);

  private Keygen() {}

  static final String USAGE = "usage: knock keygen [-o FILE] [--user NAME] [--force]\n"
      + "  -o, --output FILE  where to write the key (default: ~/.knock/key)\n"
      + "  --user NAME        the user name for the knockd.conf stanza (default: $USER)\n"
      + "  --force            replace an existing key file\n";

  /**
   * Runs keygen with the arguments after "keygen".
   *
   * @param defaultFile where the key goes without -o
   * @param defaultUser the user name without --user
   * @return what to print on standard output: the stanza, or the usage for --help
   */
  static String run(String[] args, int from, Path defaultFile, String defaultUser)
      throws ClientException {
    Path file = defaultFile;
    String user = defaultUser;
    boolean force = false;
    for (int i = from; i < args.length; i++) {
      String a = args[i];
      if ("-o".equals(a) || "--output".equals(a) || "--user".equals(a)) {
        if (i + 1 >= args.length || args[i + 1].isEmpty()) {
          throw ClientException.usage("keygen: " + a + " needs a value");
        }
        String v = args[++i];
        if ("--user".equals(a)) {
          user = v;
        } else {
          file = Path.of(v);
        }
      } else if ("--force".equals(a)) {
        force = true;
      } else if ("-h".equals(a) || "--help".equals(a)) {
        return USAGE;
      } else {
        throw ClientException.usage("keygen: unexpected '" + a + "' (see knock keygen --help)");
      }
    }
    if (!isUserName(user)) {
      throw ClientException.usage("keygen: bad user name '" + user
          + "': use letters, digits, '-', '_' or '.'");
    }
    KnockKey key = KnockKey.generate(new SecureRandom());
    write(file.toAbsolutePath(), key.toBase64() + "\n", force);
    return stanza(file.toAbsolutePath(), user);
  }

  static String stanza(Path file, String user) {
    String target = "/etc/knockd/" + user + ".key";
    String shown = SafeText.of(file.toString());
    return "# Key written to " + shown + " (mode 0600). Copy it to the server as " + target + ",\n"
        + "# mode 0600, owned by the user knockd runs as (knockd refuses a key others can read,\n"
        + "# or owned by anyone but that user or root), e.g. there, for etc/knockd.service:\n"
        + "#   install -m 0600 -o knockd -g knockd "
        + SafeText.of(file.getFileName().toString()) + " " + target + "\n"
        + "# then add this stanza to knockd.conf:\n"
        + "[user " + user + "]\n"
        + "Key = " + target + "\n"
        + "Allow = open 22/tcp\n";
  }

  private static void write(Path file, String text, boolean force) throws ClientException {
    BasicFileAttributes existing;
    try {
      existing = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      existing = null;
    } catch (IOException e) {
      throw new ClientException(ExitCodes.KEY, "keygen: cannot write " + file + ": "
          + ClientFiles.reason(e));
    }
    if (existing != null && !existing.isRegularFile()) {
      throw new ClientException(ExitCodes.KEY, "keygen: " + file + " is "
          + ClientFiles.kind(file, LinkOption.NOFOLLOW_LINKS)
          + ", not a regular file: refusing to replace it");
    }
    if (existing != null && !force) {
      throw exists(file);
    }
    Path dir = file.getParent();
    try {
      if (dir != null && !Files.isDirectory(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_RWX));
      }
    } catch (IOException e) {
      throw new ClientException(ExitCodes.KEY, "keygen: cannot create directory " + dir + ": "
          + ClientFiles.reason(e));
    }
    try {
      FileAttribute<Set<PosixFilePermission>> mode = PosixFilePermissions.asFileAttribute(OWNER_RW);
      if (!force) {
        create(file, text, mode);
        return;
      }
      Path tmp = Files.createTempFile(dir, ".knock-key", ".tmp", mode);
      try {
        Files.write(tmp, text.getBytes(StandardCharsets.US_ASCII));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (FileAlreadyExistsException e) {
      throw exists(file); // created since the check above
    } catch (IOException e) {
      throw new ClientException(ExitCodes.KEY, "keygen: cannot write " + file + ": "
          + ClientFiles.reason(e));
    }
  }

  private static ClientException exists(Path file) {
    return new ClientException(ExitCodes.KEY, "keygen: " + file
        + " exists: refusing to overwrite a key (use --force to replace it)");
  }

  private static void create(Path file, String text, FileAttribute<?> mode) throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(file,
        EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), mode)) {
      ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
    }
  }

  private static boolean isUserName(String u) {
    if (u == null || u.isEmpty() || u.length() > 64) {
      return false;
    }
    for (int i = 0; i < u.length(); i++) {
      char c = u.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
          || c == '-' || c == '_' || c == '.')) {
        return false;
      }
    }
    return true;
  }
}
