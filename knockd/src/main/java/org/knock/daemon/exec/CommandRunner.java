package org.knock.daemon.exec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs a program without a shell, with a timeout. Guarantees: the argv is passed to the kernel as
 * is (no shell, no globbing), the environment gets {@code LC_ALL=C} so messages are stable, at
 * most {@link #MAX_OUTPUT} bytes (or the limit given) of each output stream are kept, a program still running at the
 * timeout is killed with its descendants, and {@link #run} never throws for a program that fails,
 * hangs or cannot be started: that is in the {@link Result}. Thread-safe.
 */
public final class CommandRunner {
  /** Bytes kept of each of stdout and stderr; the rest is read and discarded. */
  public static final int MAX_OUTPUT = 64 * 1024;
  /** Exit code reported when the program could not be started. */
  public static final int CANNOT_START = 127;
  private static final long DRAIN_MILLIS = 1000;
  private final int maxOutput;

  /** Keeps {@link #MAX_OUTPUT} bytes of each stream. */
  public CommandRunner() {
    this(MAX_OUTPUT);
  }

  /**
   * @param maxOutput bytes kept of each of stdout and stderr, e.g. more for a firewall listing
   *     that must be read whole
   */
  public CommandRunner(int maxOutput) {
    if (maxOutput < 1) {
      throw new IllegalArgumentException("maxOutput " + maxOutput);
    }
    this.maxOutput = maxOutput;
  }

  /**
   * How a run ended.
   *
   * @param exit the exit code; {@link #CANNOT_START} if the program could not be started; -1 if
   *     it was killed at the timeout
   * @param out what it wrote to stdout (bounded, UTF-8)
   * @param err what it wrote to stderr (bounded, UTF-8), or why it could not be started
   * @param timedOut whether it was killed at the timeout (or the caller was interrupted)
   */
  public record Result(int exit, String out, String err, boolean timedOut) {
    public Result {
      Objects.requireNonNull(out, "out");
      Objects.requireNonNull(err, "err");
    }

    /** Exit code 0 within the time. */
    public boolean succeeded() {
      return exit == 0 && !timedOut;
    }

    /** The first non-blank line of stderr, else of stdout, else "" — for one-line messages. */
    public String firstLine() {
      String line = firstNonBlank(err);
      return line.isEmpty() ? firstNonBlank(out) : line;
    }

    private static String firstNonBlank(String text) {
      for (String line : text.split("\n", -1)) {
        String t = line.strip();
        if (!t.isEmpty()) {
          return t.length() > 200 ? t.substring(0, 200) + "..." : t;
        }
      }
      return "";
    }
  }

  /**
   * Runs {@code argv} and waits at most {@code timeout}.
   *
   * @param argv the program and its arguments, not empty
   * @param timeout how long to wait before killing it
   * @param stdin written to its standard input then closed; null closes it at once
   */
  public Result run(List<String> argv, Duration timeout, String stdin) {
    Objects.requireNonNull(timeout, "timeout");
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("empty command");
    }
    ProcessBuilder pb = new ProcessBuilder(List.copyOf(argv));
    pb.environment().put("LC_ALL", "C");
    Process process;
    try {
      process = pb.start();
    } catch (IOException | UnsupportedOperationException e) {
      return new Result(CANNOT_START, "",
          "cannot run " + argv.get(0) + ": " + oneLine(String.valueOf(e.getMessage())), false);
    }
    Capture out = Capture.start(process.getInputStream(), "stdout", maxOutput);
    Capture err = Capture.start(process.getErrorStream(), "stderr", maxOutput);
    feed(process, stdin);
    boolean finished;
    boolean interrupted = false;
    try {
      finished = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      interrupted = true;
      finished = false;
    }
    if (!finished) {
      // parent first, so it cannot react to its children dying (e.g. "sleep 30; echo never")
      List<ProcessHandle> descendants = process.descendants().toList();
      process.destroyForcibly();
      descendants.forEach(ProcessHandle::destroyForcibly);
      try {
        process.waitFor(DRAIN_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    String outText = out.text();
    String errText = err.text();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return finished
        ? new Result(process.exitValue(), outText, errText, false)
        : new Result(-1, outText, errText, true);
  }

  private static void feed(Process process, String stdin) {
    OutputStream in = process.getOutputStream();
    if (stdin == null) {
      closeQuietly(in);
      return;
    }
    byte[] bytes = stdin.getBytes(StandardCharsets.UTF_8);
    Thread writer = new Thread(() -> {
      try (in) {
        in.write(bytes);
      } catch (IOException e) {
        // the program exited or closed its stdin early: its exit code tells what happened
      }
    }, "command-stdin");
    writer.setDaemon(true);
    writer.start();
  }

  private static void closeQuietly(OutputStream s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing to do: the program sees end of input either way
    }
  }

  static String oneLine(String s) {
    return s.replaceAll("[\\r\\n\\t]+", " ").strip();
  }

  /** Reads one stream on its own thread, keeping the first {@code max} bytes. */
  private static final class Capture implements Runnable {
    private final InputStream stream;
    private final int max;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final Thread thread;

    private Capture(InputStream stream, String name, int max) {
      this.stream = stream;
      this.max = max;
      this.thread = new Thread(this, "command-" + name);
      thread.setDaemon(true);
    }

    static Capture start(InputStream stream, String name, int max) {
      Capture c = new Capture(stream, name, max);
      c.thread.start();
      return c;
    }

    @Override
    public void run() {
      byte[] buf = new byte[8192];
      try (stream) {
        int n;
        while ((n = stream.read(buf)) >= 0) {
          synchronized (kept) {
            int room = max - kept.size();
            if (room > 0) {
              kept.write(buf, 0, Math.min(room, n));
            }
          }
        }
      } catch (IOException e) {
        // the stream was closed under us: keep what was read
      }
    }

    /** What was read, after waiting a bounded time for the end of the stream. */
    String text() {
      try {
        thread.join(DRAIN_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (kept) {
        return kept.toString(StandardCharsets.UTF_8);
      }
    }
  }
}
