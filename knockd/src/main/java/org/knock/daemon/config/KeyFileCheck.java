package org.knock.daemon.config;

import java.nio.file.Path;

/**
 * Whether knockd may trust a file that holds a secret: it must live on a file system with POSIX
 * permissions, be owned by root or by the user knockd runs as, and be neither readable nor
 * writable by group or others, as ssh demands of its keys. A file system without POSIX
 * permissions (vfat, exFAT, NTFS, SMB...) shows made-up modes, so nobody can tell who may read the
 * file: such a file is accepted only when the admin says so ({@code AllowUncheckedKeyFile = yes}),
 * and then without the other checks, which would be meaningless there.
 */
final class KeyFileCheck {
  static final String ALLOW_KEY = "AllowUncheckedKeyFile";

  private KeyFileCheck() {}

  /**
   * The problem with a key file, or null if knockd may use it.
   *
   * @param c the file's content, mode (-1: no POSIX permissions) and owner (-1: unknown)
   * @param effectiveUid the user knockd runs as
   */
  static String problem(Path path, ConfigFiles.Content c, int effectiveUid,
      boolean allowUnchecked) {
    if (c.mode() < 0 || c.owner() < 0) {
      return allowUnchecked ? null : "key file " + path + " is on a file system without POSIX "
          + "permissions: knockd cannot tell who may read it; keep it on one that has them "
          + "(mode 600), or set " + ALLOW_KEY + " = yes";
    }
    if (c.owner() != 0 && c.owner() != effectiveUid) {
      return "key file " + path + " is owned by uid " + c.owner() + ", not by "
          + (effectiveUid == 0 ? "root, which knockd runs as: chown root "
              : "uid " + effectiveUid + " (knockd's user) or root: chown " + effectiveUid + " ")
          + path;
    }
    if ((c.mode() & 077) != 0) {
      return "key file " + path + " is " + UserSection.exposure(c.mode()) + " (mode "
          + UserSection.octal(c.mode()) + "): chmod 600 " + path;
    }
    return null;
  }
}
