package org.knock.daemon.firewall;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link Nft} through one long-lived {@code nft -i} process, so that a grant costs a write to a
 * pipe (~0.3 ms) instead of starting a process (~5–10 ms). A script is sent as one line (its lines
 * joined by ';'), which nft runs as one transaction, followed by {@value #SYNC}, whose output —
 * learnt when the process starts — marks the end of the script's run. nft reports errors on its
 * error stream before it reads the next line, so whatever is there when the mark arrives is the
 * script's error. The process is started on first use and again after it died (the script is
 * then sent once more: every script knockd sends is idempotent); a timeout kills it. {@link
 * #list} and {@link #listJson} run a process of their own.
 *
 * <p>The caller's thread reads nft's answer itself: for at most {@code spin} it polls the pipe,
 * yielding its core between polls (nft usually answers within 0.3–3 ms; a thread that slept would
 * add its own wake-up, and a spin that keeps the core would delay nft on a busy machine), then
 * polls with sleeps growing to 1 ms until the timeout. Grants are rare, so the spin's CPU is
 * bounded by {@code spin} per script. A thread that may run real-time sleeps from the start.
 */
final class NftSession implements Nft {
  static final String SYNC = "describe tcp dport";
  /** How long a wait for nft's answer spins before it sleeps between polls. */
  static final Duration SPIN = Duration.ofMillis(5);
  private static final long FIRST_NAP_NANOS = 50_000;
  private static final long LONGEST_NAP_NANOS = 1_000_000;
  private static final String EOF = new String("end of nft's output"); // compared by identity
  /**
   * Threads that may run real-time ({@link Firewalls#callerMayBeRealtime}): they never spin. A
   * real-time thread's yield gives its core to no normal thread, so nft, woken on that core,
   * would wait out the whole spin.
   */
  static final ThreadLocal<Boolean> NO_SPIN = ThreadLocal.withInitial(() -> false);

  private final List<String> argv;
  private final Duration timeout;
  private final long spinNanos;
  private final Nft oneShot;
  private Process process;
  private OutputStream in;
  private InputStream err;
  private InputStream stdout;
  private final Deque<String> lines = new ArrayDeque<>();
  private final java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();
  private final byte[] buf = new byte[8192];
  private String mark;

  /**
   * @param argv the interactive nft, e.g. {@code [ip, netns, exec, NS, nft, -i]}
   * @param oneShot runs {@link #list} and {@link #listJson}
   */
  NftSession(List<String> argv, Duration timeout, Nft oneShot) {
    this(argv, timeout, SPIN, oneShot);
  }

  /** @param spin how long a wait for nft's answer spins before it sleeps between polls */
  NftSession(List<String> argv, Duration timeout, Duration spin, Nft oneShot) {
    this.argv = List.copyOf(argv);
    this.timeout = timeout;
    this.spinNanos = spin.toNanos();
    this.oneShot = oneShot;
  }

  @Override
  public synchronized void apply(String script) throws FirewallException {
    String line = oneLine(script);
    if (line.isEmpty()) {
      return;
    }
    for (int attempt = 1; ; attempt++) {
      start();
      try {
        run(line);
        return;
      } catch (IOException gone) {
        stop();
        if (attempt == 2) {
          throw new FirewallException("nft -i: " + gone.getMessage());
        }
      }
    }
  }

  @Override
  public String list(List<String> args) throws FirewallException {
    return oneShot.list(args);
  }

  @Override
  public String listJson(List<String> args) throws FirewallException {
    return oneShot.listJson(args);
  }

  @Override
  public synchronized void close() {
    stop();
  }

  /** The script's lines, blank ones dropped, joined by "; ". */
  static String oneLine(String script) {
    List<String> parts = new ArrayList<>();
    for (String l : script.split("\n")) {
      if (!l.isBlank()) {
        parts.add(l.strip());
      }
    }
    return String.join("; ", parts);
  }

  /** What is written to nft for one script line: the line, then the end marker. */
  static byte[] request(String line) {
    return (line + "\n" + SYNC + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private void run(String line) throws IOException, FirewallException {
    drainErrors();
    in.write(request(line));
    in.flush();
    awaitMark();
    String errors = drainErrors();
    if (!errors.isEmpty()) {
      throw new FirewallException("nft -i failed: " + errors.lines().findFirst().orElse(""));
    }
  }

  private void start() throws FirewallException {
    if (process != null && process.isAlive()) {
      return;
    }
    stop();
    try {
      process = new ProcessBuilder(argv).start();
    } catch (IOException e) {
      throw new FirewallException("cannot start " + String.join(" ", argv) + ": "
          + e.getMessage());
    }
    in = process.getOutputStream();
    err = process.getErrorStream();
    stdout = process.getInputStream();
    lines.clear();
    partial.reset();
    try {
      in.write((SYNC + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
      String first = next(System.nanoTime() + timeout.toNanos());
      String errors = drainErrors();
      if (first == EOF || !errors.isEmpty()) {
        throw new IOException(errors.isEmpty() ? "exited at start"
            : errors.lines().findFirst().orElse(""));
      }
      mark = first;
    } catch (IOException | FirewallException e) {
      stop();
      throw new FirewallException("cannot start " + String.join(" ", argv) + ": "
          + e.getMessage());
    }
  }

  private void awaitMark() throws IOException, FirewallException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String l = next(deadline);
      if (l == EOF) {
        throw new IOException("nft exited");
      }
      if (l.equals(mark)) {
        return;
      }
    }
  }

  /** The next line of output; EOF at its end; a timeout kills the process. */
  private String next(long deadline) throws FirewallException, IOException {
    long spinUntil = System.nanoTime() + (NO_SPIN.get() ? 0 : spinNanos);
    long nap = FIRST_NAP_NANOS;
    while (lines.isEmpty()) {
      int n = stdout.available();
      if (n > 0 || !process.isAlive()) { // a dead process: read() gives its last bytes, then -1
        int r = stdout.read(buf, 0, Math.max(1, Math.min(n, buf.length)));
        if (r < 0) {
          return EOF;
        }
        split(r);
        continue;
      }
      long now = System.nanoTime();
      if (now - deadline >= 0) {
        stop();
        throw new FirewallException("nft -i timed out after " + timeout.toMillis() + " ms");
      }
      if (now - spinUntil < 0) {
        Thread.yield(); // a pause-spin here made it slower: nft may need this core
      } else {
        LockSupport.parkNanos(Math.min(nap, deadline - now));
        nap = Math.min(2 * nap, LONGEST_NAP_NANOS);
        if (Thread.interrupted()) {
          Thread.currentThread().interrupt();
          stop();
          throw new FirewallException("interrupted while waiting for nft -i");
        }
      }
    }
    return lines.poll();
  }

  /** Adds the first {@code r} bytes of {@link #buf} to the output, complete lines to the queue. */
  private void split(int r) {
    for (int i = 0; i < r; i++) {
      if (buf[i] == '\n') {
        lines.add(partial.toString(StandardCharsets.UTF_8));
        partial.reset();
      } else {
        partial.write(buf[i]);
      }
    }
  }

  /** What nft wrote to its error stream so far (all of it is in the pipe: nft writes, then reads). */
  private String drainErrors() throws IOException {
    StringBuilder b = new StringBuilder();
    int n;
    while ((n = err.available()) > 0) {
      byte[] buf = new byte[n];
      int r = err.read(buf);
      if (r <= 0) {
        break;
      }
      b.append(new String(buf, 0, r, StandardCharsets.UTF_8));
    }
    return b.toString().strip();
  }

  private void stop() {
    Process p = process;
    process = null;
    if (p == null) {
      return;
    }
    try {
      p.getOutputStream().close();
    } catch (IOException e) {
      // closing anyway
    }
    try {
      if (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
