package org.knock.daemon.audit;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import org.knock.core.Durations;
import org.knock.core.Rejection;

/**
 * The audit log: one line per decision knockd makes. Each event method builds an
 * {@link AuditEvent} with fixed field names and hands it to {@link #record}; implementations only
 * decide where it goes. Addresses are passed as text; a null value leaves its field out. Keys,
 * passphrases and knock ciphertext are never parameters.
 */
public interface Audit {
  /** Writes one event (the implementation adds the time). */
  void record(AuditEvent event);

  /** A knock decoded, verified and allowed. {@code duration}, {@code expires} null for run. */
  default void knockAccepted(String user, String source, String granted, String command,
      Duration duration, Instant expires) {
    record(AuditEvent.of("knock-accepted", "user", user, "src", source, "grant", granted,
        "command", command, "duration", duration(duration), "expires", instant(expires)));
  }

  /**
   * A knock refused. {@code reason}: a {@link Rejection#word()} or a policy word
   * ({@code not-allowed}, {@code too-long}, {@code unknown-action}, {@code denied-source},
   * {@code unknown-sequence}). {@code src} comes first after the event name: fail2ban's filter
   * relies on it.
   */
  default void knockRejected(String reason, String source, String user) {
    record(AuditEvent.of("knock-rejected", "src", source, "reason", reason, "user", user));
  }

  default void knockRejected(Rejection reason, String source, String user) {
    knockRejected(reason.word(), source, user);
  }

  /** The firewall now lets {@code address} reach {@code port} (e.g. {@code 22/tcp}). */
  default void accessGranted(String user, String address, String port, Instant expires) {
    record(AuditEvent.of("access-granted", "user", user, "addr", address, "port", port,
        "expires", instant(expires)));
  }

  /** A grant ran out. */
  default void accessExpired(String address, String port) {
    record(AuditEvent.of("access-expired", "addr", address, "port", port));
  }

  /** A grant was withdrawn before its time, {@code by} a user's close knock or the daemon. */
  default void accessClosed(String address, String port, String by) {
    record(AuditEvent.of("access-closed", "addr", address, "port", port, "by", by));
  }

  /** A static door's sequence completed and its command ran. */
  default void doorOpened(String door, String source) {
    record(AuditEvent.of("door-opened", "door", door, "src", source));
  }

  /** An action finished (or was killed). */
  default void actionRun(String action, String user, String source, int exitCode, Duration took,
      boolean timedOut) {
    record(AuditEvent.of("action-run", "action", action, "user", user, "src", source,
        "exit", String.valueOf(exitCode), "took", took.toMillis() + "ms",
        "timed-out", yesNo(timedOut)));
  }

  /** A firewall change failed. */
  default void firewallError(String what, String message, boolean willRetry) {
    record(AuditEvent.of("firewall-error", "what", what, "message", message,
        "retry", yesNo(willRetry)));
  }

  /**
   * A source sent {@code ports} distinct knock-range ports within {@code interval} without
   * completing a knock: a port scan. One event per source and interval. {@code src} comes first
   * after the event name: fail2ban's filter relies on it.
   */
  default void scanDetected(String source, int ports, int sequences, int badTags, int replays,
      Duration interval) {
    record(hunt("scan", source, ports, sequences, badTags, replays, interval));
  }

  /**
   * A source sent knocks with repeated bad tags or replays (someone guessing keys or replaying
   * recorded knocks). One event per source and interval; {@code src} first, as for
   * {@link #scanDetected}.
   */
  default void knockHunt(String source, int ports, int sequences, int badTags, int replays,
      Duration interval) {
    record(hunt("knock-hunt", source, ports, sequences, badTags, replays, interval));
  }

  /** The source tracker dropped {@code count} sources to stay within MaxSources. */
  default void floodEvictions(long count, Instant since) {
    record(AuditEvent.of("flood-evictions", "count", String.valueOf(count),
        "since", instant(since)));
  }

  /** The firewall log ({@code log}: e.g. kmsg, journal, a path) stopped delivering. */
  default void sourceLost(String log, String reason) {
    record(AuditEvent.of("source-lost", "log", log, "reason", reason));
  }

  default void sourceRecovered(String log) {
    record(AuditEvent.of("source-recovered", "log", log));
  }

  /** The firewall log lost {@code lost} lines (e.g. the kernel ring buffer overran). */
  default void sourceOverrun(String log, long lost) {
    record(AuditEvent.of("source-overrun", "log", log, "lost", String.valueOf(lost)));
  }

  default void daemonStart(String version, String configFile) {
    record(AuditEvent.of("daemon-start", "version", version, "config", configFile));
  }

  default void daemonStop(String reason) {
    record(AuditEvent.of("daemon-stop", "reason", reason));
  }

  default void configReloaded(String configFile) {
    record(AuditEvent.of("config-reloaded", "config", configFile));
  }

  /**
   * A reload applied, firewall rules included. {@code changed}: the {@code [options]} keys whose
   * value changed (users, actions and doors are always re-read); left out when none did.
   */
  default void configReloaded(String configFile, java.util.List<String> changed) {
    record(AuditEvent.of("config-reloaded", "config", configFile,
        "changed", changed.isEmpty() ? null : String.join(",", changed)));
  }

  /**
   * A reload was refused as a whole; the running config (and its firewall rules) stays.
   * {@code reason}: one line, e.g. the first problem of the file.
   */
  default void configReloadRefused(String configFile, String reason) {
    record(AuditEvent.of("config-reload-refused", "config", configFile, "reason", reason));
  }

  /**
   * knockd removed its firewall rules ({@code removed}, in words), {@code by} {@code exit}
   * (OnExit = remove) or {@code remove-rules} (knockd --remove-rules).
   */
  default void rulesRemoved(String firewall, String removed, String by) {
    record(AuditEvent.of("rules-removed", "firewall", firewall, "removed", removed, "by", by));
  }

  /** knockd created a key file for a user (CreateKey = yes). The key itself is not logged. */
  default void keyCreated(String user, String file) {
    record(AuditEvent.of("key-created", "user", user, "file", file));
  }

  private static AuditEvent hunt(String name, String source, int ports, int sequences,
      int badTags, int replays, Duration interval) {
    return AuditEvent.of(name, "src", source, "ports", String.valueOf(ports),
        "sequences", String.valueOf(sequences), "bad-tags", String.valueOf(badTags),
        "replays", String.valueOf(replays), "interval", interval.toMillis() + "ms");
  }

  private static String duration(Duration d) {
    return d == null ? null : Durations.format(d);
  }

  private static String instant(Instant t) {
    return t == null ? null : DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS));
  }

  private static String yesNo(boolean b) {
    return b ? "yes" : "no";
  }
}
