package org.knock.daemon.config;

import java.io.IOException;
import java.nio.file.Path;

/** The files a config refers to (key files, one-time sequence files), as the parser sees them. */
interface ConfigFiles {
  /**
   * A file's text, permission bits and owner.
   *
   * @param text the content
   * @param mode the POSIX permission bits (e.g. 0600), or -1 where the file system has none
   * @param owner the owner's uid, or -1 if unknown
   */
  record Content(String text, int mode, int owner) {}

  /** Reads a regular file. */
  Content read(Path file) throws IOException;

  /**
   * Creates a key file holding a fresh random key, mode 0600. Fails if the file exists, so it
   * never replaces a key nor follows a planted link.
   */
  Content createKey(Path file, String userName) throws IOException;

  /** The uid knockd runs as (its effective uid), which may own key files besides root. */
  int effectiveUid();
}
