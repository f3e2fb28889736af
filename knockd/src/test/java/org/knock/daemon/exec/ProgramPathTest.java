package org.knock.daemon.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgramPathTest {
  @TempDir Path dir;

  private Path program(Path in, String name, String perms) throws Exception {
    Files.createDirectories(in);
    Path f = Files.writeString(in.resolve(name), "#!/bin/sh\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
    return f;
  }

  @Test
  void theFirstExecutableRegularFileInPathOrderWins() throws Exception {
    program(dir.resolve("a"), "tool", "rw-r--r--"); // not executable: skipped
    Files.createDirectories(dir.resolve("b/tool")); // a directory: skipped
    Path c = program(dir.resolve("c"), "tool", "rwxr-xr-x");
    program(dir.resolve("d"), "tool", "rwxr-xr-x");
    String path = "/nonexistent:" + dir.resolve("a") + ":" + dir.resolve("b") + ":"
        + dir.resolve("c") + ":" + dir.resolve("d");
    assertThat(ProgramPath.find("tool", path, false)).contains(c);
    assertThat(ProgramPath.find("tool", path, true)).contains(c);
  }

  @Test
  void nothingIsFoundWithoutPathOrWhenMissing() {
    assertThat(ProgramPath.find("tool", null, true)).isEmpty();
    assertThat(ProgramPath.find("no-such-program-here", "/nonexistent:" + dir, true)).isEmpty();
  }

  @Test
  void anEmptyEntryIsTheCurrentDirectoryOnlyWhenAsked() throws Exception {
    // the JVM's working directory is the module directory; a program there named like this test
    Path cwd = Path.of("").toAbsolutePath();
    String name = "knock-programpath-test-" + ProcessHandle.current().pid();
    Path f = program(cwd, name, "rwxr-xr-x");
    try {
      assertThat(ProgramPath.find(name, "/nonexistent::", true)).contains(Path.of(".", name));
      assertThat(ProgramPath.find(name, "", true)).contains(Path.of(".", name));
      assertThat(ProgramPath.find(name, "/nonexistent::", false)).isEmpty();
      assertThat(ProgramPath.find(name, "", false)).isEmpty();
      // "." or any relative entry is the current directory too: skipped the same way
      assertThat(ProgramPath.find(name, "/nonexistent:.", true)).contains(Path.of(".", name));
      assertThat(ProgramPath.find(name, "/nonexistent:.", false)).isEmpty();
      assertThat(ProgramPath.find(name, "./", false)).isEmpty();
      assertThat(ProgramPath.find(name, "../" + cwd.getFileName(), false)).isEmpty();
    } finally {
      Files.delete(f);
    }
  }
}
