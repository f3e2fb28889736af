package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The real {@code bin/knockd}, started by a test with a command prefix (e.g.
 * {@code ip netns exec NS setpriv ...}), its stdout/stderr in files and its audit log read back.
 * Every process is tracked and killed by PID on {@link #close}.
 */
final class KnockdProcess implements AutoCloseable {
  private final Path dir;
  private final Path audit;
  private final List<Process> started = new ArrayList<>();
  private int runs;

  /**
   * @param dir where stdout/stderr files go
   * @param audit the AuditLog the config names
   */
  KnockdProcess(Path dir, Path audit) {
    this.dir = dir;
    this.audit = audit;
  }

  /** The line a JDK 17 prints first when bin/knockd adds jdk.incubator.foreign (netlink grants). */
  static final String INCUBATOR_WARNING = "WARNING: Using incubator modules: jdk.incubator.foreign\n";

  /**
   * What knockd itself wrote on stderr: {@code err} without the JVM's start-up line
   * {@link #INCUBATOR_WARNING} (there exactly once, first, when this JDK has the module).
   */
  static String ownErr(String err) {
    if (err.startsWith(INCUBATOR_WARNING)) {
      String rest = err.substring(INCUBATOR_WARNING.length());
      assertThat(rest).as("the JVM's warning, once").doesNotContain(INCUBATOR_WARNING);
      return rest;
    }
    return err;
  }

  static String script() {
    Path s = Path.of(System.getProperty("knock.root"), "bin", "knockd");
    assertThat(s).isExecutable();
    return s.toString();
  }

  /** Starts {@code prefix + bin/knockd --config conf} and waits (≤ 20 s) for its daemon-start. */
  Process start(List<String> prefix, Path conf) throws IOException, InterruptedException {
    return start(prefix, script(), conf);
  }

  /** The same with the knockd package's {@code /usr/sbin/knockd}. */
  Process startInstalled(List<String> prefix, Path conf) throws IOException,
      InterruptedException {
    return start(prefix, "/usr/sbin/knockd", conf);
  }

  private Process start(List<String> prefix, String knockd, Path conf) throws IOException,
      InterruptedException {
    int before = count("event=daemon-start");
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(List.of(knockd, "--config", conf.toString()));
    runs++;
    Process p = new ProcessBuilder(cmd)
        .redirectOutput(dir.resolve("knockd" + runs + ".out").toFile())
        .redirectError(dir.resolve("knockd" + runs + ".err").toFile())
        .start();
    synchronized (started) {
      started.add(p);
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (count("event=daemon-start") <= before) {
      assertThat(p.isAlive()).as("knockd exited %s: %s", p.isAlive() ? "" : p.exitValue(),
          output()).isTrue();
      assertThat(System.nanoTime()).as("knockd did not start: %s", output()).isLessThan(end);
      Thread.sleep(50);
    }
    return p;
  }

  /** Everything the runs so far wrote to stdout and stderr. */
  String output() throws IOException {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i <= runs; i++) {
      for (String ext : List.of(".out", ".err")) {
        Path f = dir.resolve("knockd" + i + ext);
        if (Files.exists(f)) {
          b.append(Files.readString(f, StandardCharsets.UTF_8));
        }
      }
    }
    return b.toString();
  }

  String auditText() throws IOException {
    return Files.exists(audit) ? Files.readString(audit, StandardCharsets.UTF_8) : "";
  }

  /** Audit lines in which every regular expression is found. */
  List<String> audited(String... parts) throws IOException {
    List<Pattern> ps = Stream.of(parts).map(Pattern::compile).toList();
    return auditText().lines().filter(l -> ps.stream().allMatch(p -> p.matcher(l).find()))
        .toList();
  }

  int count(String... parts) throws IOException {
    return audited(parts).size();
  }

  /** Waits (≤ {@code seconds}) until {@code n} audit lines match every part. */
  void awaitAudit(int n, int seconds, String... parts) throws IOException, InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (count(parts) < n) {
      assertThat(System.nanoTime()).as("waited for %s x %s; audit:%n%s", n, List.of(parts),
          auditText()).isLessThan(end);
      Thread.sleep(50);
    }
  }

  /** Sends a signal to the process by PID. */
  static void signal(Process p, String signal) {
    Netns.host("kill", "-" + signal, Long.toString(p.pid())).ok();
  }

  @Override
  public void close() {
    Netns.killAll(started);
  }
}
