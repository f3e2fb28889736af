package org.knock.daemon.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway network namespace for tests (root only). Its name is unique per run, every process
 * started in it is tracked and killed by PID on {@link #close()}, and the namespace is deleted.
 * Namespaces still open when the test JVM exits (a run stopped by SIGTERM or Ctrl-C before its
 * {@code @AfterAll}) are closed by a shutdown hook; only a SIGKILL can leave one behind.
 */
public final class Netns implements AutoCloseable {
  /** The result of a finished command. */
  public record Result(int exit, String out, String err) {
    public Result ok() {
      if (exit != 0) {
        throw new AssertionError("exit " + exit + ": " + err + out);
      }
      return this;
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();
  /** Namespaces created and not yet closed, closed by the shutdown hook if the JVM exits first. */
  private static final java.util.Set<Netns> OPEN = new java.util.LinkedHashSet<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      List<Netns> left;
      synchronized (OPEN) {
        left = new ArrayList<>(OPEN);
      }
      left.forEach(Netns::close);
    }, "netns-cleanup"));
  }

  private final String name;
  private final List<Process> started = new ArrayList<>();

  private Netns(String name) {
    this.name = name;
  }

  /** Creates a namespace named "kn" + tag + random hex, with loopback up. */
  public static Netns create(String tag) {
    requireRoot();
    byte[] r = new byte[3];
    RANDOM.nextBytes(r);
    Netns ns = new Netns("kn" + tag + HexFormat.of().formatHex(r));
    synchronized (OPEN) {
      OPEN.add(ns);
    }
    host("ip", "netns", "add", ns.name).ok();
    ns.exec("ip", "link", "set", "lo", "up").ok();
    return ns;
  }

  public static void requireRoot() {
    if (!"root".equals(System.getProperty("user.name"))) {
      throw new AssertionError("namespace tests need root: run 'sudo bin/check'");
    }
  }

  public String name() {
    return name;
  }

  /** The command prefixed with {@code ip netns exec NAME}. */
  public List<String> inside(String... cmd) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
    all.addAll(Arrays.asList(cmd));
    return all;
  }

  /** Runs a command inside and waits up to 30 s. */
  public Result exec(String... cmd) {
    return run(inside(cmd), 30);
  }

  /** Starts a long-running command inside; it is killed on close. Output goes to the given files. */
  public Process start(List<String> cmd, Path stdout, Path stderr) throws IOException {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
    all.addAll(cmd);
    ProcessBuilder pb = new ProcessBuilder(all)
        .redirectOutput(stdout.toFile())
        .redirectError(stderr.toFile());
    Process p = pb.start();
    synchronized (started) {
      started.add(p);
    }
    return p;
  }

  /** Runs a command in the host namespace and waits up to 30 s. */
  public static Result host(String... cmd) {
    return run(List.of(cmd), 30);
  }

  static Result run(List<String> cmd, int timeoutSeconds) {
    try {
      Path out = Files.createTempFile("knock-it", ".out");
      Path err = Files.createTempFile("knock-it", ".err");
      try {
        Process p = new ProcessBuilder(cmd)
            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
          throw new AssertionError("timed out after " + timeoutSeconds + " s: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run " + cmd + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted: " + cmd, e);
    }
  }

  /** Kills the processes (by PID, with their children), waits for them, empties the list. */
  static void killAll(List<Process> processes) {
    synchronized (processes) {
      for (Process p : processes) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
      for (Process p : processes) {
        try {
          p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      processes.clear();
    }
  }

  /** Kills what was started here (by PID, with its children), then deletes the namespace. */
  @Override
  public void close() {
    killAll(started);
    run(List.of("ip", "netns", "del", name), 30);
    synchronized (OPEN) {
      OPEN.remove(this);
    }
  }
}
