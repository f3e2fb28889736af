package org.knock.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.knock.core.KnockException;
import org.knock.core.KnockKey;

/**
 * Reads the client's own small files, the key and knockrc. Only a regular file (or a link to one)
 * of bounded size is opened, so a device, FIFO or huge file is refused at once, before any read
 * that could block or exhaust memory. A leading UTF-8 byte order mark is dropped. Key problems
 * are {@link ExitCodes#KEY} errors naming the file and the reason; a key file that group or
 * others may read is used but draws a warning, since knockd refuses such files.
 */
final class ClientFiles {
  /** The largest key file read: a key is one 44-character line, plus comments. */
  static final int MAX_KEY_BYTES = 64 * 1024;
  /** The largest knockrc read. */
  static final int MAX_RC_BYTES = 1024 * 1024;

  private ClientFiles() {}

  static KnockKey readKey(Path file, PrintStream err) throws ClientException {
    String text = readSecret(file, "key file", err, ": create one with 'knock keygen' or name one"
        + " with -k FILE", " (knockd refuses such files)");
    try {
      return KnockKey.parse(text);
    } catch (KnockException e) {
      throw new ClientException(ExitCodes.KEY, file + ": " + e.getMessage());
    }
  }

  /**
   * The passphrase in a file (its first line, without the line end), read under the rules of a
   * key file: a regular file of sane size; one that group or others can read draws a warning.
   */
  static char[] readPassphrase(Path file, PrintStream err) throws ClientException {
    String text = readSecret(file, "passphrase file", err, "", "");
    int end = text.indexOf('\n');
    String line = end < 0 ? text : text.substring(0, end);
    if (line.endsWith("\r")) {
      line = line.substring(0, line.length() - 1);
    }
    return line.toCharArray();
  }

  /**
   * A secret file's text: a regular file of at most {@link #MAX_KEY_BYTES}; problems are key
   * problems (exit 4); one that group or others can read draws a warning.
   */
  private static String readSecret(Path file, String what, PrintStream err, String howToMake,
      String refusedBy) throws ClientException {
    String text;
    PosixFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, PosixFileAttributes.class);
      text = read(file, attrs, MAX_KEY_BYTES);
    } catch (NoSuchFileException e) {
      throw new ClientException(ExitCodes.KEY, "no " + what + " " + file + howToMake);
    } catch (IOException e) {
      throw new ClientException(ExitCodes.KEY, "cannot read " + what + " " + file + ": "
          + reason(e));
    }
    Set<PosixFilePermission> p = attrs.permissions();
    if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
      err.println("knock: warning: " + what + " " + SafeText.of(file.toString())
          + " is readable by group or others" + refusedBy + ": chmod 600 "
          + SafeText.of(file.toString()));
    }
    return text;
  }

  /**
   * The text of a knockrc, or null if there is none; problems are usage errors (exit 2).
   */
  static String readRc(Path file) throws ClientException {
    try {
      return read(file, Files.readAttributes(file, BasicFileAttributes.class), MAX_RC_BYTES);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw ClientException.usage("cannot read " + file + ": " + reason(e));
    }
  }

  /** Reads a regular file of at most {@code max} bytes as UTF-8, without a leading BOM. */
  private static String read(Path file, BasicFileAttributes attrs, int max) throws IOException {
    if (!attrs.isRegularFile()) {
      throw new IOException(kind(file) + ", not a regular file");
    }
    if (attrs.size() > max) {
      throw new IOException(tooLarge(attrs.size(), max));
    }
    byte[] b;
    try (InputStream in = Files.newInputStream(file)) {
      b = in.readNBytes(max + 1);
    }
    if (b.length > max) {
      throw new IOException(tooLarge(b.length, max));
    }
    String text = new String(b, StandardCharsets.UTF_8);
    return text.startsWith("\uFEFF") ? text.substring(1) : text;
  }

  private static String tooLarge(long size, int max) {
    return "too large (" + size + " bytes; at most " + max + ")";
  }

  /**
   * What a file that is not a regular file is, e.g. "a character device", from its mode.
   *
   * @param options {@link LinkOption#NOFOLLOW_LINKS} to describe a link itself
   */
  static String kind(Path file, LinkOption... options) {
    int mode;
    try {
      mode = (Integer) Files.getAttribute(file, "unix:mode", options);
    } catch (IOException | RuntimeException e) {
      return Files.isDirectory(file, options) ? "a directory" : "a special file";
    }
    switch (mode & 0170000) {
      case 0040000:
        return "a directory";
      case 0020000:
        return "a character device";
      case 0060000:
        return "a block device";
      case 0010000:
        return "a FIFO";
      case 0140000:
        return "a socket";
      case 0120000:
        return "a symbolic link";
      case 0100000:
        return "a regular file";
      default:
        return "a special file";
    }
  }

  /**
   * Why an I/O operation failed, in words and without the file name: a {@link
   * FileSystemException}'s message repeats its path ("cannot read X: X"), its reason does not.
   */
  static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException) {
      String r = ((FileSystemException) e).getReason();
      if (r != null) {
        return r;
      }
      if (e instanceof FileAlreadyExistsException) {
        return "file exists";
      }
      if (e instanceof NotDirectoryException) {
        return "not a directory";
      }
      return e.getClass().getSimpleName();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
