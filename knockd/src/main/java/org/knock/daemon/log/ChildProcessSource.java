package org.knock.daemon.log;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A {@link LineSource} that reads a child process's standard output (started directly, no
 * shell). When the child dies the listener hears {@code lost} (with the last line it wrote to
 * stderr), and it is started again after a backoff of 0.25 s doubling up to 8 s (back to 0.25 s
 * after a child that ran 30 s); when it runs again, {@code recovered}. close() kills the child
 * and its descendants. Every start happens on the thread that calls {@link #run}, which lives as
 * long as the source: the kernel's parent of the child is that thread (what a parent-death signal
 * follows). Subclasses say what to start and what a stdout line means.
 */
abstract class ChildProcessSource implements LineSource {
  /** A child that ran this long before dying was working: start again with a short backoff. */
  private static final long HEALTHY_MS = 30_000;

  private final String program;
  private final SourceListener listener;
  private volatile boolean closed;
  private volatile Process process;

  /** @param program the child's name in messages, e.g. journalctl */
  ChildProcessSource(String program, SourceListener listener) {
    this.program = program;
    this.listener = listener;
  }

  /** The command line of the next start. */
  abstract List<String> command() throws IOException;

  /** One line the child wrote to stdout. */
  abstract void onOutput(String line, LineSink sink);

  /** One non-blank line the child wrote to stderr (stripped), on another thread. */
  void onError(String line) {}

  /** Called on the reading thread when the child has been started. */
  void started(Process p) {}

  /** The running child, or null. */
  final Process process() {
    return process;
  }

  final SourceListener listener() {
    return listener;
  }

  final boolean closed() {
    return closed;
  }

  @Override
  public void run(LineSink sink) throws InterruptedException {
    long backoff = Backoff.FIRST_MS;
    boolean lost = false;
    try {
      while (!closed) {
        Process p;
        try {
          p = start();
        } catch (IOException e) {
          if (!lost) {
            lost = true;
            listener.lost(name(), "cannot start " + program + ": " + e.getMessage());
          }
          backoff = Backoff.sleep(backoff, () -> closed);
          continue;
        }
        if (lost) {
          lost = false;
          listener.recovered(name());
        }
        long started = System.nanoTime();
        StderrTail stderr = new StderrTail(program, p.getErrorStream(), this::onError);
        stderr.start();
        started(p);
        readLines(p.getInputStream(), sink);
        if (closed) {
          break;
        }
        int status = p.waitFor();
        stderr.join(1000);
        lost = true;
        listener.lost(name(), program + " exited with status " + status
            + (stderr.last.isEmpty() ? "" : ": " + stderr.last));
        if (System.nanoTime() - started > TimeUnit.MILLISECONDS.toNanos(HEALTHY_MS)) {
          backoff = Backoff.FIRST_MS;
        }
        backoff = Backoff.sleep(backoff, () -> closed);
      }
    } finally {
      kill();
    }
  }

  @Override
  public void close() {
    closed = true;
    kill();
  }

  private Process start() throws IOException {
    Process p = new ProcessBuilder(command()).redirectInput(ProcessBuilder.Redirect.PIPE).start();
    p.getOutputStream().close();
    process = p;
    if (closed) {
      kill();
    }
    return p;
  }

  private void readLines(InputStream in, LineSink sink) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        onOutput(line, sink);
      }
    } catch (IOException e) {
      // the child died or was killed: handled by the caller
    }
  }

  private void kill() {
    Process p = process;
    if (p != null) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      try {
        p.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Keeps the last line the child wrote to stderr, for the reason of a death. */
  private static final class StderrTail extends Thread {
    private final InputStream err;
    private final Consumer<String> each;
    volatile String last = "";

    StderrTail(String program, InputStream err, Consumer<String> each) {
      super(program + "-stderr");
      setDaemon(true);
      this.err = err;
      this.each = each;
    }

    @Override
    public void run() {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(err,
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (!line.isBlank()) {
            last = line.strip();
            each.accept(last);
          }
        }
      } catch (IOException e) {
        // child gone
      }
    }
  }
}
