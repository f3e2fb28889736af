package org.knock.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.knock.core.KnockKey;

/** Key files for daemon tests, written as knockd accepts them (mode 0600). */
public final class TestKeys {
  private TestKeys() {}

  /** Writes {@code key} to {@code file}, mode 0600; returns the file. */
  public static Path write(Path file, KnockKey key) throws IOException {
    Files.writeString(file, key.toBase64() + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }
}
