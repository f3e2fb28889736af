package org.knock.daemon.log;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Kernel messages from the systemd journal, read from a {@code journalctl -k -f -o json} child
 * process (started directly, no shell). Each entry's MESSAGE is handed on; its cursor is kept, so
 * that when journalctl dies the listener hears {@code lost}, and the restart (after a backoff of
 * 0.25 s doubling up to 8 s) continues after the last entry handed on: nothing is lost or
 * repeated across restarts. The first start shows only new entries. close() kills the child.
 */
final class JournalSource implements LineSource {
  static final List<String> JOURNALCTL =
      List.of("journalctl", "-k", "-f", "-o", "json", "--output-fields=MESSAGE");
  private static final long FIRST_BACKOFF_MS = 250;
  private static final long MAX_BACKOFF_MS = 8000;
  /** A child that ran this long before dying was working: start again with a short backoff. */
  private static final long HEALTHY_MS = 30_000;

  private final List<String> command;
  private final SourceListener listener;
  private volatile boolean closed;
  private volatile Process process;
  private String cursor;

  JournalSource(SourceListener listener) {
    this(JOURNALCTL, listener);
  }

  /** @param command journalctl and its options; the source adds -n 0 or --after-cursor=C */
  JournalSource(List<String> command, SourceListener listener) {
    this.command = List.copyOf(command);
    this.listener = listener;
  }

  @Override
  public String name() {
    return "journal";
  }

  @Override
  public void run(LineSink sink) throws InterruptedException {
    long backoff = FIRST_BACKOFF_MS;
    boolean lost = false;
    try {
      while (!closed) {
        Process p;
        try {
          p = start();
        } catch (IOException e) {
          if (!lost) {
            lost = true;
            listener.lost(name(), "cannot start journalctl: " + e.getMessage());
          }
          backoff = sleep(backoff);
          continue;
        }
        if (lost) {
          lost = false;
          listener.recovered(name());
        }
        long started = System.nanoTime();
        StderrTail stderr = new StderrTail(p.getErrorStream());
        stderr.start();
        readEntries(p.getInputStream(), sink);
        if (closed) {
          break;
        }
        int status = p.waitFor();
        stderr.join(1000);
        lost = true;
        listener.lost(name(), "journalctl exited with status " + status
            + (stderr.last.isEmpty() ? "" : ": " + stderr.last));
        if (System.nanoTime() - started > TimeUnit.MILLISECONDS.toNanos(HEALTHY_MS)) {
          backoff = FIRST_BACKOFF_MS;
        }
        backoff = sleep(backoff);
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
    List<String> cmd = new ArrayList<>(command);
    if (cursor == null) {
      cmd.add("-n");
      cmd.add("0");
    } else {
      cmd.add("--after-cursor=" + cursor);
    }
    Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.PIPE).start();
    p.getOutputStream().close();
    process = p;
    if (closed) {
      kill();
    }
    return p;
  }

  private void readEntries(InputStream in, LineSink sink) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String message = JournalJson.field(line, "MESSAGE");
        String c = JournalJson.field(line, "__CURSOR");
        if (c != null) {
          cursor = c;
        }
        if (message != null) {
          int nl = message.indexOf('\n');
          sink.onLine(nl < 0 ? message : message.substring(0, nl));
        }
      }
    } catch (IOException e) {
      // the child died or was killed: handled by the caller
    }
  }

  private long sleep(long backoff) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff);
    while (!closed && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(Math.min(50, backoff));
    }
    return Math.min(MAX_BACKOFF_MS, backoff * 2);
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

  /** Keeps the last line journalctl wrote to stderr, for the reason of a death. */
  private static final class StderrTail extends Thread {
    private final InputStream err;
    volatile String last = "";

    StderrTail(InputStream err) {
      super("journalctl-stderr");
      setDaemon(true);
      this.err = err;
    }

    @Override
    public void run() {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(err,
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (!line.isBlank()) {
            last = line.strip();
          }
        }
      } catch (IOException e) {
        // child gone
      }
    }
  }
}
