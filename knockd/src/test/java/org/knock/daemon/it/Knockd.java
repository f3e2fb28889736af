package org.knock.daemon.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code bin/knockd --config FILE}, run inside a lab's server namespace (so its nftables
 * table or iptables chain lives there), with a config written by the test: its own directory for
 * the audit log and StateDir, a LOG prefix {@code KNE2E<random hex>: }, and, when the settings
 * say {@code file}, a {@link KernLogWriter} filling a kern.log that knockd follows.
 * {@link #start} returns once the firewall is installed and the audit log says
 * {@code daemon-start}; {@link #stop} sends SIGTERM to its PID and checks what OnExit promises
 * (the config says {@code OnExit = remove} unless a test sets {@code keep}: the rules are gone,
 * or still there); {@link #kill9} leaves them behind, as a crash would. {@link #set} changes an
 * option in the config file, {@link #reload} sends SIGHUP and returns the audited outcome.
 */
final class Knockd implements AutoCloseable {
  /** How knockd is set up: cipher and mapping, firewall backend, and the log it reads. */
  record Settings(String cipher, String mapping, String firewall, String log) {
    static Settings defaults() {
      return new Settings("twofish", "indexed", "nftables", "kmsg");
    }

    /** The knock range: the default for indexed, its first 256 ports for classic. */
    String knockPorts() {
      return mapping.equals("classic") ? "20000-20255" : "20000-25119";
    }

    @Override
    public String toString() {
      return cipher + "/" + mapping + ", " + firewall + ", log " + log;
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final long READY_MS = 20_000;

  private final Netns server;
  private final Settings settings;
  private final Path dir;
  private final Path config;
  private final String prefix;
  private final AuditTrail audit;
  private final KernLogWriter kernLog;
  private Process process;
  private int starts;
  private String javaOpts;

  /**
   * Writes the config ({@code [options]} from the settings, then {@code sections} as given) into
   * {@code dir}; nothing runs yet.
   */
  Knockd(Netns server, Settings settings, Path dir, String sections) throws IOException {
    this.server = server;
    this.settings = settings;
    this.dir = Files.createDirectories(dir);
    byte[] r = new byte[4];
    RANDOM.nextBytes(r);
    this.prefix = "KNE2E" + HexFormat.of().formatHex(r) + ": ";
    this.audit = new AuditTrail(dir.resolve("audit.log"));
    String log = settings.log(); // kmsg, nflog:GROUP, or file (below)
    if (settings.log().equals("file")) {
      Path kern = dir.resolve("kern.log");
      this.kernLog = new KernLogWriter(prefix.strip(), kern);
      log = kern.toString();
    } else {
      this.kernLog = null;
    }
    this.config = dir.resolve("knockd.conf");
    Files.writeString(config, "[options]\n"
        + "AllowRoot       = yes\n"
        // silent like a filtered port: scenario 12 expects no reply, and the exact-order bash
        // sender watches each SYN in syn-sent (ConcealmentIT covers KnockReply = reset/auto)
        + "KnockReply      = drop\n"
        + "FirewallLog     = " + log + "\n"
        + "Firewall        = " + settings.firewall() + "\n"
        + "Cipher          = " + settings.cipher() + "\n"
        + "Mapping         = " + settings.mapping() + "\n"
        + "KnockPorts      = " + settings.knockPorts() + "\n"
        + "Protect         = 22/tcp\n"
        + "LogPrefix       = \"" + prefix + "\"\n"
        + "AuditLog        = " + audit.file() + "\n"
        + "StateDir        = " + dir.resolve("state") + "\n"
        + "SequenceTimeout = 2s\n"
        // the helpers' tests expect a clean namespace after stop (FailClosedIT sets keep)
        + "OnExit          = remove\n"
        + "\n" + sections, StandardCharsets.UTF_8);
  }

  /** Sets KNOCKD_JAVA_OPTS for the next starts (e.g. a system property); null: none. */
  Knockd javaOpts(String opts) {
    this.javaOpts = opts;
    return this;
  }

  /**
   * Waits (at most {@code millis}) for the log line that says the JIT warm-up is over: its
   * throwaway pipeline is then garbage. Fails if it does not come.
   */
  void awaitWarmedUp(long millis) throws IOException, InterruptedException {
    awaitOutput("warm-up done", millis);
  }

  /**
   * Waits (at most {@code millis}) until what knockd wrote in its latest start contains {@code
   * text}, and returns it: its log lines may follow the audit record {@link #start} waits for.
   * Fails if the text does not come.
   */
  String awaitOutput(String text, long millis) throws IOException, InterruptedException {
    long end = System.nanoTime() + millis * 1_000_000L;
    String out;
    while (!(out = output()).contains(text)) {
      if (System.nanoTime() > end) {
        throw new AssertionError("no '" + text + "' within " + millis + " ms: " + out);
      }
      Thread.sleep(50);
    }
    return out;
  }

  /** What knockd wrote to standard output and error in its latest start. */
  String output() throws IOException {
    return Files.readString(dir.resolve("knockd-" + starts + ".out"))
        + Files.readString(dir.resolve("knockd-" + starts + ".err"));
  }

  Settings settings() {
    return settings;
  }

  /** A failed scenario's diagnosis: the audit log of {@code k} (null: none started). */
  static String diagnosis(Knockd k) {
    return k == null ? "no knockd"
        : "audit log of knockd (" + k.settings() + "):" + AuditTrail.describe(k.audit().events());
  }

  AuditTrail audit() {
    return audit;
  }

  /** The LOG prefix, e.g. {@code KNE2E0a1b2c3d: }. */
  String prefix() {
    return prefix;
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** Starts knockd and waits (bounded) until it is ready. */
  Knockd start() throws IOException, InterruptedException {
    if (alive()) {
      throw new IllegalStateException("knockd is running");
    }
    int mark = audit.mark();
    starts++;
    Path err = dir.resolve("knockd-" + starts + ".err");
    List<String> cmd = new java.util.ArrayList<>();
    if (javaOpts != null) {
      cmd.addAll(List.of("env", "KNOCKD_JAVA_OPTS=" + javaOpts)); // env execs: same PID
    }
    cmd.addAll(List.of(Lab.script("knockd"), "--config", config.toString()));
    process = server.start(cmd, dir.resolve("knockd-" + starts + ".out"), err);
    long end = System.nanoTime() + READY_MS * 1_000_000L;
    while (!(firewallPresent() && audit.count(mark, "daemon-start") > 0)) {
      if (!process.isAlive()) {
        throw new AssertionError("knockd exited " + process.exitValue() + ": "
            + Files.readString(err));
      }
      if (System.nanoTime() > end) {
        throw new AssertionError("knockd not ready within " + READY_MS + " ms: "
            + Files.readString(err));
      }
      Thread.sleep(50);
    }
    return this;
  }

  /** Whether knockd's table (nftables) or chain (iptables) exists in the server namespace. */
  boolean firewallPresent() {
    return settings.firewall().equals("iptables")
        ? server.exec("iptables", "-w", "-S", "KNOCKD").exit() == 0
        : server.exec("nft", "list", "table", "inet", "knockd").exit() == 0;
  }

  Path config() {
    return config;
  }

  /** Sets {@code key = value} in the config's {@code [options]} (replacing the key's line). */
  Knockd set(String key, String value) throws IOException {
    String text = Files.readString(config, StandardCharsets.UTF_8);
    String line = key + " = " + value;
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + key + "\\s*=.*$")
        .matcher(text);
    text = m.find() ? text.substring(0, m.start()) + line + text.substring(m.end())
        : text.replaceFirst("\\[options\\]\n", "[options]\n" + line + "\n");
    Files.writeString(config, text, StandardCharsets.UTF_8);
    return this;
  }

  /**
   * SIGHUP to its PID; waits (≤ 10 s) for {@code config-reloaded} or
   * {@code config-reload-refused} and returns that event.
   */
  AuditTrail.Event reload() throws InterruptedException {
    int mark = audit.mark();
    Netns.host("kill", "-HUP", Long.toString(process.pid())).ok();
    long end = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < end) {
      for (AuditTrail.Event e : audit.since(mark)) {
        if (e.name().equals("config-reloaded") || e.name().equals("config-reload-refused")) {
          return e;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no reload audited within 10 s");
  }

  /** Whether the config says {@code OnExit = keep} (else knockd removes its rules at stop). */
  boolean keepsRules() throws IOException {
    return Files.readString(config, StandardCharsets.UTF_8).lines()
        .noneMatch(l -> l.matches("OnExit\\s*=\\s*remove"));
  }

  /**
   * SIGTERM to its PID; waits (≤ 15 s) for the exit; checks that its firewall is gone (OnExit =
   * remove) or still there (keep).
   */
  void stop() throws InterruptedException, IOException {
    signal(false);
    boolean keep = keepsRules();
    if (firewallPresent() != keep) {
      throw new AssertionError("knockd " + (keep ? "removed" : "left") + " its "
          + settings.firewall() + " rules" + (keep ? " despite OnExit = keep" : " behind"));
    }
  }

  /** Runs {@code bin/knockd --remove-rules --config FILE} in the server namespace. */
  /** Runs knockd in the foreground to its end (a start that fails): its exit and output. */
  Netns.Result runToItsEnd() {
    return server.exec(Lab.script("knockd"), "--config", config.toString());
  }

  Netns.Result removeRules() {
    return server.exec(Lab.script("knockd"), "--remove-rules", "--config", config.toString());
  }

  /** SIGKILL to its PID: its firewall changes stay, as after a crash. */
  void kill9() throws InterruptedException {
    signal(true);
  }

  private void signal(boolean kill) throws InterruptedException {
    ProcessHandle h = process.toHandle();
    if (kill) {
      h.destroyForcibly();
    } else {
      h.destroy();
    }
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      h.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
      throw new AssertionError("knockd (PID " + h.pid() + ") did not exit on "
          + (kill ? "SIGKILL" : "SIGTERM"));
    }
  }

  @Override
  public void close() throws InterruptedException {
    try {
      if (alive()) {
        signal(false);
      }
    } finally {
      if (kernLog != null) {
        kernLog.close();
      }
    }
  }
}
