package org.knock.daemon.exec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds a program the way it will be started: the first executable regular file of that name in
 * the directories of a PATH value, in order. Reads only file attributes; never runs anything.
 */
public final class ProgramPath {
  private ProgramPath() {}

  /**
   * The first {@code name} (no '/') on {@code path} that is an executable regular file.
   *
   * @param path a PATH value; null finds nothing
   * @param emptyIsCurrentDir how to read an empty entry: true as the current directory (what
   *     {@link ProcessBuilder} does, so a check agrees with what will run), false skipped with
   *     every other relative entry such as {@code .} (safer for a program a root daemon picks by
   *     itself: never one found through its working directory)
   */
  public static Optional<Path> find(String name, String path, boolean emptyIsCurrentDir) {
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(":", -1)) {
      if (!emptyIsCurrentDir && !Path.of(dir).isAbsolute()) { // "", ".", "bin": the cwd's
        continue;
      }
      Path f = Path.of(dir.isEmpty() ? "." : dir, name);
      if (Files.isRegularFile(f) && Files.isExecutable(f)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }
}
