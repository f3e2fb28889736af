package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/knock} launcher, which finds its jar, the java binary and the class archive
 * with bash built-ins (issue 17): however it is reached — by absolute path, a relative path from
 * another directory, a symlink elsewhere, or its name on the PATH — it runs the client from the
 * archive; and the java symlink it remembers in {@code knock/target/knock-java} is trusted only
 * while it names the same file. No network: {@code -V} only.
 */
class LauncherIT {
  @TempDir Path dir;

  private static final String FROM_ARCHIVE = "org.knock.client.Main source: shared objects file";

  @Test
  void everyWayOfReachingTheLauncherRunsTheClientFromTheArchive() throws Exception {
    Path root = Path.of(System.getProperty("knock.root"));
    Path script = Path.of(ClientKnockIT.knockScript());
    run(root, script.toString()); // records the archive if the build is newer
    Path link = dir.resolve("somewhere").resolve("knock");
    Files.createDirectories(link.getParent());
    Files.createSymbolicLink(link, script);
    String path = root.resolve("bin") + File.pathSeparator + System.getenv("PATH");
    String[][] forms = {
        {root.toString(), script.toString()},
        {root.resolve("knock").toString(), "../bin/knock"},
        {root.resolve("bin").toString(), "./knock"},
        {dir.toString(), link.toString()},
        {dir.toString(), "env", "PATH=" + path, "knock"},
    };
    try {
      for (String[] f : forms) {
        String[] cmd = java.util.Arrays.copyOfRange(f, 1, f.length);
        String out = run(Path.of(f[0]), cmd);
        assertThat(out).as("from %s: %s", f[0], String.join(" ", cmd)).contains(FROM_ARCHIVE);
      }
    } finally {
      Files.delete(link);
    }
  }

  @Test
  void aRememberedJavaThatNoLongerMatchesIsResolvedAgain() throws Exception {
    Path javaOnPath = onPath("java");
    Assumptions.assumeTrue(javaOnPath != null && Files.isSymbolicLink(javaOnPath),
        "java on the PATH is a symlink (Debian's /usr/bin/java)");
    Path root = Path.of(System.getProperty("knock.root"));
    Path remembered = root.resolve("knock").resolve("target").resolve("knock-java");
    String script = ClientKnockIT.knockScript();
    run(root, script);
    String real = javaOnPath.toRealPath().toString();
    assertThat(Files.readString(remembered)).isEqualTo(javaOnPath + "\n" + real + "\n");
    // stale: names another file (as after update-alternatives); /bin/true has no JDK release file
    Files.writeString(remembered, javaOnPath + "\n/bin/true\n");
    String out = run(root, script);
    assertThat(out).contains(FROM_ARCHIVE);
    assertThat(Files.readString(remembered)).isEqualTo(javaOnPath + "\n" + real + "\n");
  }

  @Test
  void aKnockStartsJavaLoggingWithoutReadingAConfiguration() throws Exception {
    // issue 17: Bouncy Castle's registrar starts java.util.logging; the client names QuietLogging
    // as its configuration, so no logging.properties is read and walked (Properties$EntrySet is
    // what that walk loads), unless the user names a configuration
    Path root = Path.of(System.getProperty("knock.root"));
    String script = ClientKnockIT.knockScript();
    run(root, List.of(script, "keygen"), null);
    List<String> print = List.of(script, "--print", "127.0.0.1", "open 22 30m");
    String out = run(root, print, null);
    assertThat(out).contains("org.knock.client.QuietLogging source: shared objects file",
        "org.bouncycastle.crypto.CryptoServicesRegistrar source: shared objects file",
        "java.util.logging.LogManager source: ").doesNotContain("java.util.Properties$EntrySet ");
    assertThat(out.lines().filter(l -> l.matches("2\\d{4}"))).as("the knock's ports").hasSize(20);
    Path conf = dir.resolve("logging.properties");
    Files.writeString(conf, "handlers = java.util.logging.ConsoleHandler\n");
    String named = run(root, print, "-Djava.util.logging.config.file=" + conf);
    assertThat(named).contains("java.util.Properties$EntrySet ");
  }

  private static Path onPath(String name) {
    for (String d : System.getenv("PATH").split(File.pathSeparator)) {
      Path p = Path.of(d.isEmpty() ? "." : d, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** Runs {@code cmd -V} in {@code cwd} with the class-load log on stdout; asserts exit 0. */
  private String run(Path cwd, String... cmd) throws Exception {
    List<String> c = new ArrayList<>(List.of(cmd));
    c.add("-V");
    String out = run(cwd, c, null);
    assertThat(out).as("%s: the version among the class-load log", c)
        .containsPattern("(?m)^knock \\S+$");
    return out;
  }

  /** Runs {@code c} in {@code cwd} with the class-load log (and {@code opts}) on stdout. */
  private String run(Path cwd, List<String> c, String opts) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(c).directory(cwd.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("out").toFile());
    pb.environment().put("KNOCK_HOME", dir.resolve("home").toString());
    pb.environment().put("KNOCK_JAVA_OPTS",
        "-Xlog:class+load=info:stdout" + (opts != null ? " " + opts : ""));
    pb.environment().remove("KNOCK_JAVA");
    pb.environment().remove("KNOCK_CDS");
    Process p = pb.start();
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", c).isTrue();
    } finally {
      p.destroyForcibly();
    }
    String out = Files.readString(dir.resolve("out"), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("exit of %s: %s", c, out).isZero();
    return out;
  }
}
