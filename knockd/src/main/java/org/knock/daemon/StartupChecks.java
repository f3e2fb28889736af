package org.knock.daemon;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.knock.daemon.config.ActionConfig;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.ConfigLines;
import org.knock.daemon.config.DoorConfig;
import org.knock.daemon.config.Options;
import org.knock.daemon.exec.ProgramPath;
import org.knock.daemon.log.LineSources;

/**
 * What must hold for a valid config to start, checked without changing anything — by
 * {@code knockd --check} (all of it) and by start-up (the programs; the rest start-up finds by
 * doing it): AllowRoot against the effective uid (never the {@code user.name} property), an
 * AuditLog and a StateDir the running user can write (run the check as the user knockd runs
 * as), and an executable program for OpenCommand, CloseCommand, every action and every door
 * command. Each problem is one line, {@code file:line: what is wrong}.
 */
final class StartupChecks {
  /** Words a door command (run by /bin/sh -c) may start with that are no program to look for. */
  private static final Set<String> SHELL_WORDS = Set.of(":", ".", "[", "!", "{", "alias", "bg",
      "cd", "command", "echo", "eval", "exec", "exit", "export", "false", "fg", "if", "for",
      "while", "until", "case", "printf", "read", "readonly", "set", "shift", "test", "times",
      "trap", "true", "type", "ulimit", "umask", "unset", "wait");

  private final Config config;
  private final ConfigLines lines;
  private final long euid;
  private final String path;

  /**
   * @param euid the effective uid knockd runs as ({@link #effectiveUid()})
   * @param path the PATH programs without a '/' are looked up in
   */
  StartupChecks(Config config, ConfigLines lines, long euid, String path) {
    this.config = config;
    this.lines = lines;
    this.euid = euid;
    this.path = path == null ? "" : path;
  }

  /** For this process: its effective uid and PATH. */
  static StartupChecks forThisProcess(Config config) {
    return new StartupChecks(config, ConfigLines.read(config.file()), effectiveUid(),
        System.getenv("PATH"));
  }

  /** Every problem, in the order start-up would meet them. */
  List<String> all() {
    List<String> p = new ArrayList<>(allowRoot());
    p.addAll(files());
    p.addAll(programs());
    return p;
  }

  List<String> allowRoot() {
    if (euid == 0 && !config.options().allowRoot()) {
      return List.of(lines.at("options", "AllowRoot") + ": AllowRoot = no, and knockd would run "
          + "as root (effective uid 0): run it as a dedicated user with CAP_NET_ADMIN (see "
          + "etc/knockd.service), or set AllowRoot = yes");
    }
    return List.of();
  }

  /** AuditLog and StateDir, as the user running the check. */
  List<String> files() {
    List<String> p = new ArrayList<>();
    Options o = config.options();
    if (o.auditLog() != null) {
      String why = fileProblem(o.auditLog());
      if (why != null) {
        p.add(lines.at("options", "AuditLog") + ": AuditLog: cannot write " + o.auditLog() + ": "
            + why);
      }
    }
    String why = dirProblem(o.stateDir());
    if (why == null && Files.exists(o.stateDir().resolve("replay.log"))) {
      why = fileProblem(o.stateDir().resolve("replay.log"));
    }
    if (why != null) {
      p.add(lines.at("options", "StateDir") + ": StateDir: cannot write " + o.stateDir() + ": "
          + why);
    }
    return p;
  }

  /**
   * OpenCommand, CloseCommand and actions name programs that can be run, and so does the log
   * source (ulogd for FirewallLog = nflog:GROUP).
   */
  List<String> programs() {
    List<String> p = new ArrayList<>();
    Options o = config.options();
    if (o.firewallLog() != null) {
      String why = LineSources.problem(o.firewallLog().toString(), path);
      if (why != null) {
        p.add(lines.at("options", "FirewallLog") + ": " + why);
      }
    }
    if (o.openCommand() != null) {
      program(p, o.openCommand().program(), lines.at("options", "OpenCommand"), "OpenCommand");
    }
    if (o.closeCommand() != null) {
      program(p, o.closeCommand().program(), lines.at("options", "CloseCommand"), "CloseCommand");
    }
    for (ActionConfig a : config.actions()) {
      program(p, a.command().program(), lines.at("action " + a.name(), "Command"),
          "[action " + a.name() + "] Command");
    }
    return p;
  }

  /**
   * Door commands (knockd-style shell lines) whose program cannot be run: warnings, not errors.
   * knockd 0.8 runs them only when the door opens, and stock configs ship example doors (Debian's
   * names /usr/local/sbin/knock_add); such a door fails when it opens, the others work.
   */
  List<String> doorWarnings() {
    List<String> p = new ArrayList<>();
    for (DoorConfig d : config.doors()) {
      shellProgram(p, d.startCommand(), lines.at(d.name(), "Start_Command", "Command"),
          "door [" + d.name() + "] Start_Command");
      if (d.stopCommand() != null) {
        shellProgram(p, d.stopCommand(), lines.at(d.name(), "Stop_Command"),
            "door [" + d.name() + "] Stop_Command");
      }
    }
    return p.stream().map(w -> w + " (the door fails when it opens)").toList();
  }

  /** Where the kernel says whether it forwards IPv4 (per network namespace). */
  static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");

  /**
   * A warning if the config has forwards but this host does not forward IPv4 (knockd turns on
   * nothing itself); none if it does or the setting cannot be read.
   */
  List<String> forwardWarnings() {
    String value;
    try {
      value = Files.readString(IP_FORWARD).strip();
    } catch (java.io.IOException | RuntimeException e) {
      value = null;
    }
    return forwardWarnings(value);
  }

  /** {@link #forwardWarnings()} for the setting's value ({@code "0"}, {@code "1"}, or null). */
  List<String> forwardWarnings(String ipForward) {
    if (config.forwards().isEmpty() || !"0".equals(ipForward)) {
      return List.of();
    }
    String name = config.forwards().get(0).name();
    return List.of(lines.at("forward " + name) + ": [forward " + name + "]: net.ipv4.ip_forward "
        + "is 0, so forwards reach nothing: turn it on (sysctl -w net.ipv4.ip_forward=1, and in "
        + "/etc/sysctl.d/ to keep it); knockd does not");
  }

  /** A shell command's first word, if it is a plain program name (no builtin, no syntax). */
  private void shellProgram(List<String> p, String command, String at, String what) {
    String first = command.strip().split("[ \t]+", 2)[0];
    if (first.isEmpty() || SHELL_WORDS.contains(first)
        || first.chars().anyMatch(c -> "$`\"'=(){};|&<>*?~\\".indexOf(c) >= 0)) {
      return;
    }
    program(p, first, at, what);
  }

  private void program(List<String> p, String program, String at, String what) {
    String why = programProblem(program);
    if (why != null) {
      p.add(at + ": " + what + ": " + program + ": " + why);
    }
  }

  /** Null if {@code program} can be run, else why not. */
  String programProblem(String program) {
    if (program.contains("/")) {
      Path f = Path.of(program);
      if (!Files.exists(f)) {
        return "no such program";
      }
      if (!Files.isRegularFile(f) || !Files.isExecutable(f)) {
        return "not an executable file";
      }
      return null;
    }
    if (ProgramPath.find(program, path, true).isPresent()) {
      return null;
    }
    return "not found in PATH (" + path + ")";
  }

  /** Null if {@code file} can be appended to (or created), else why not. Creates nothing. */
  static String fileProblem(Path file) {
    if (!Files.exists(file)) {
      Path dir = file.toAbsolutePath().getParent();
      return dirProblem(dir);
    }
    if (!Files.isRegularFile(file)) {
      return "not a regular file";
    }
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.APPEND)) {
      return null;
    } catch (AccessDeniedException e) {
      return "permission denied";
    } catch (FileSystemException e) {
      return e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
    } catch (IOException e) {
      return e.getMessage();
    }
  }

  /** Null if files can be created in {@code dir} (or it can be created), else why not. */
  static String dirProblem(Path dir) {
    Path d = dir.toAbsolutePath();
    Path existing = d;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return "no such directory";
    }
    if (!Files.isDirectory(existing)) {
      return existing + " is not a directory";
    }
    if (!Files.isWritable(existing)) {
      return existing.equals(d) ? "permission denied"
          : "cannot create it: permission denied in " + existing;
    }
    return null;
  }

  /** The effective uid from /proc/self/status; -1 if unknown. */
  static long effectiveUid() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("Uid:")) {
          return Long.parseLong(l.substring(4).strip().split("\\s+")[1]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // unknown
    }
    return -1;
  }
}
