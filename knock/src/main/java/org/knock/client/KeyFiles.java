package org.knock.client;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.knock.core.KnockException;
import org.knock.core.KnockKey;

/**
 * Reads a key file for the client. Problems are {@link ExitCodes#KEY} errors naming the file; a
 * file that group or others may read is used but draws a warning, since knockd refuses such
 * files.
 */
final class KeyFiles {
  private KeyFiles() {}

  static KnockKey read(Path file, PrintStream err) throws ClientException {
    String text;
    try {
      text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ClientException(ExitCodes.KEY, "no key file " + file
          + ": create one with 'knock keygen' or name one with -k FILE");
    } catch (AccessDeniedException e) {
      throw new ClientException(ExitCodes.KEY, "cannot read key file " + file
          + ": permission denied");
    } catch (IOException e) {
      throw new ClientException(ExitCodes.KEY, "cannot read key file " + file + ": "
          + e.getMessage());
    }
    warnIfShared(file, err);
    try {
      return KnockKey.parse(text);
    } catch (KnockException e) {
      throw new ClientException(ExitCodes.KEY, file + ": " + e.getMessage());
    }
  }

  private static void warnIfShared(Path file, PrintStream err) {
    Set<PosixFilePermission> p;
    try {
      p = Files.getPosixFilePermissions(file);
    } catch (IOException | UnsupportedOperationException e) {
      return; // nothing to check on this file system
    }
    if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
      err.println("knock: warning: key file " + file + " is readable by group or others "
          + "(knockd refuses such files): chmod 600 " + file);
    }
  }
}
