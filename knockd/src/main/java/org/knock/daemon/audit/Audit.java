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
 *
 * <p>Every method returns whether the record was written. A decision is recorded before it is
 * carried out, and not carried out when its record could not be written ({@link #DECISIONS}).
 */
public interface Audit {
  /** The events that record a decision about to be carried out: false means "do not". */
  java.util.Set<String> DECISIONS = java.util.Set.of("knock-accepted", "door-opened");

  /**
   * Writes one event (the implementation adds the time).
   *
   * @return false if it could not be written (the implementation says so on standard error)
   */
  boolean record(AuditEvent event);

  /** A knock decoded, verified and allowed. {@code duration}, {@code expires} null for run. */
  default boolean knockAccepted(String user, String source, String granted, String command,
      Duration duration, Instant expires) {
    return record(AuditEvent.of("knock-accepted", "user", user, "src", source, "grant", granted,
        "command", command, "duration", duration(duration), "expires", instant(expires)));
  }

  /**
   * A knock refused. {@code reason}: a {@link Rejection#word()} or a policy word
   * ({@code not-allowed}, {@code too-long}, {@code unknown-action}, {@code random-ports-off},
   * {@code random-mismatch}, {@code random-port-taken} ({@link #randomPortTaken}),
   * {@code superseded} (an open sealed before a close of the same grant that was acted on),
   * {@code denied-source},
   * {@code unknown-sequence}). {@code src} comes first after the event name: fail2ban's filter
   * relies on it.
   */
  default boolean knockRejected(String reason, String source, String user) {
    return record(AuditEvent.of("knock-rejected", "src", source, "reason", reason, "user", user));
  }

  /**
   * A random-port knock refused ({@code reason=random-port-taken}): the {@code external} port it
   * drew is already the source's way to another port by a current grant, which it
   * {@code leads-to} (e.g. {@code 22/tcp}, or {@code 10.1.0.5:5432/tcp} for a forward) and keeps.
   */
  default boolean randomPortTaken(String source, String user, String external, String leadsTo) {
    return record(AuditEvent.of("knock-rejected", "src", source, "reason", "random-port-taken",
        "user", user, "external", external, "leads-to", leadsTo));
  }

  default boolean knockRejected(Rejection reason, String source, String user) {
    return knockRejected(reason.word(), source, user);
  }

  /** The firewall now lets {@code address} reach {@code port} (e.g. {@code 22/tcp}). */
  default boolean accessGranted(String user, String address, String port, Instant expires) {
    return accessGranted(user, address, port, null, expires);
  }

  /**
   * As {@link #accessGranted(String, String, String, Instant)}, through {@code external}: the
   * port the address connects to, which the firewall redirects to {@code port} (null: none).
   */
  default boolean accessGranted(String user, String address, String port, String external,
      Instant expires) {
    return accessGranted(user, address, port, external, null, expires);
  }

  /** As above, for a forward: {@code to} is the inner host {@code external} leads to. */
  default boolean accessGranted(String user, String address, String port, String external,
      String to, Instant expires) {
    return record(AuditEvent.of("access-granted", "user", user, "addr", address, "port", port,
        "external", external, "to", to, "expires", instant(expires)));
  }

  /** A grant ran out. */
  default boolean accessExpired(String address, String port) {
    return accessExpired(address, port, null, null);
  }

  /** A grant through an {@code external} port (null: none) to {@code to} (null: here) ran out. */
  default boolean accessExpired(String address, String port, String external, String to) {
    return record(AuditEvent.of("access-expired", "addr", address, "port", port, "external",
        external, "to", to));
  }

  /**
   * A grant was withdrawn before its time, {@code by} a user's close knock ({@code knock}) or the
   * daemon ({@code exit}: the command backend's CloseCommand when knockd stops).
   */
  default boolean accessClosed(String address, String port, String by) {
    return accessClosed(address, port, null, null, by);
  }

  /**
   * As above, for a grant through an {@code external} port (null: none) to {@code to} (null:
   * this host).
   */
  default boolean accessClosed(String address, String port, String external, String to,
      String by) {
    return record(AuditEvent.of("access-closed", "addr", address, "port", port, "external",
        external, "to", to, "by", by));
  }

  /** A static door's sequence completed and its command ran. */
  default boolean doorOpened(String door, String source) {
    return record(AuditEvent.of("door-opened", "door", door, "src", source));
  }

  /**
   * A static door's Stop_Command ran, Cmd_Timeout after its {@link #doorOpened}: its exit code
   * and whether it was killed at CommandTimeout. A record of what was done, written after it.
   */
  default boolean doorClosed(String door, String source, int exitCode, boolean timedOut) {
    return record(AuditEvent.of("door-closed", "door", door, "src", source,
        "exit", String.valueOf(exitCode), "timed-out", yesNo(timedOut)));
  }

  /** An action finished (or was killed). */
  default boolean actionRun(String action, String user, String source, int exitCode, Duration took,
      boolean timedOut) {
    return record(AuditEvent.of("action-run", "action", action, "user", user, "src", source,
        "exit", String.valueOf(exitCode), "took", took.toMillis() + "ms",
        "timed-out", yesNo(timedOut)));
  }

  /** A firewall change failed. */
  default boolean firewallError(String what, String message, boolean willRetry) {
    return record(AuditEvent.of("firewall-error", "what", what, "message", message,
        "retry", yesNo(willRetry)));
  }

  /**
   * The replay cache's background fdatasync failed: a knock granted just before may not survive
   * a power loss, and until a sync succeeds again every knock waits for its own sync and is
   * refused ({@code replay-store-failed}) if it fails.
   */
  default boolean replaySyncError(String file, String message) {
    return record(AuditEvent.of("replay-sync-error", "file", file, "message", message,
        "accepting", "no"));
  }

  /** The replay cache synced a record again after {@link #replaySyncError}. */
  default boolean replaySyncRecovered(String file) {
    return record(AuditEvent.of("replay-sync-recovered", "file", file, "accepting", "yes"));
  }

  /**
   * A source sent {@code ports} distinct knock-range ports within {@code interval} without
   * completing a knock: a port scan. Written within a second of the threshold being crossed, at
   * most once per source and interval; {@link #huntEnded} follows when the source's window
   * closes. {@code src} comes first after the event name: fail2ban's filter relies on it.
   */
  default boolean scanDetected(String source, int ports, int sequences, int badTags, int replays,
      Duration interval) {
    return record(hunt("scan", source, ports, sequences, badTags, replays, interval));
  }

  /**
   * A source sent knocks with repeated bad tags or replays (someone guessing keys or replaying
   * recorded knocks). One event per source and interval; {@code src} first, as for
   * {@link #scanDetected}.
   */
  default boolean knockHunt(String source, int ports, int sequences, int badTags, int replays,
      Duration interval) {
    return record(hunt("knock-hunt", source, ports, sequences, badTags, replays, interval));
  }

  /**
   * The closing summary of a source's window that was reported as {@code scan} or
   * {@code knock-hunt} ({@code kind}, which a scan may end as knock-hunt): the final counts, as
   * event {@code scan-end} or {@code knock-hunt-end}. fail2ban's filter does not match it, so a
   * window counts as one failure.
   */
  default boolean huntEnded(String kind, String source, int ports, int sequences, int badTags,
      int replays, Duration interval) {
    return record(hunt(kind + "-end", source, ports, sequences, badTags, replays, interval));
  }

  /** The source tracker dropped {@code count} sources to stay within MaxSources. */
  default boolean floodEvictions(long count, Instant since) {
    return record(AuditEvent.of("flood-evictions", "count", String.valueOf(count),
        "since", instant(since)));
  }

  /**
   * The tag-check budget (MaxTagChecks) refused {@code count} candidate messages since
   * {@code since}: their checks were put off (served later by the sweep, or never if the
   * sequence ended first, then audited as {@code knock-rejected reason=decoder-busy}).
   */
  default boolean budgetRefusals(long count, Instant since) {
    return record(AuditEvent.of("budget-refusals", "count", String.valueOf(count),
        "since", instant(since)));
  }

  /** The firewall log ({@code log}: e.g. kmsg, journal, a path) stopped delivering. */
  default boolean sourceLost(String log, String reason) {
    return record(AuditEvent.of("source-lost", "log", log, "reason", reason));
  }

  default boolean sourceRecovered(String log) {
    return record(AuditEvent.of("source-recovered", "log", log));
  }

  /** The firewall log lost {@code lost} lines (e.g. the kernel ring buffer overran). */
  default boolean sourceOverrun(String log, long lost) {
    return record(AuditEvent.of("source-overrun", "log", log, "lost", String.valueOf(lost)));
  }

  default boolean daemonStart(String version, String configFile) {
    return record(AuditEvent.of("daemon-start", "version", version, "config", configFile));
  }

  /**
   * A start that failed: what it installed stays (fail closed) and nothing else was done; the
   * reason is the one line knockd printed.
   */
  default boolean daemonStartFailed(String version, String configFile, String reason) {
    return record(AuditEvent.of("daemon-start-failed", "version", version, "config", configFile,
        "reason", reason));
  }

  default boolean daemonStop(String reason) {
    return record(AuditEvent.of("daemon-stop", "reason", reason));
  }

  default boolean configReloaded(String configFile) {
    return record(AuditEvent.of("config-reloaded", "config", configFile));
  }

  /**
   * The start-up self-test: {@code result} ok, no-log-line, source-silent, not-delivered or
   * not-sent, for a probe SYN to knock {@code port} read back through {@code log}.
   */
  default void selfTest(String result, String log, int port) {
    record(AuditEvent.of("self-test", "result", result, "log", log, "port",
        String.valueOf(port)));
  }

  /**
   * A reload applied, firewall rules included. {@code changed}: the {@code [options]} keys whose
   * value changed (users, actions and doors are always re-read); left out when none did.
   */
  default boolean configReloaded(String configFile, java.util.List<String> changed) {
    return record(AuditEvent.of("config-reloaded", "config", configFile,
        "changed", changed.isEmpty() ? null : String.join(",", changed)));
  }

  /**
   * A reload was refused as a whole; the running config (and its firewall rules) stays.
   * {@code reason}: one line, e.g. the first problem of the file.
   */
  default boolean configReloadRefused(String configFile, String reason) {
    return record(AuditEvent.of("config-reload-refused", "config", configFile, "reason", reason));
  }

  /**
   * knockd is about to remove its firewall rules, {@code by} whom (remove-rules): the decision,
   * written before; nothing is removed if it cannot be.
   */
  default boolean rulesRemoveRequested(String firewall, String by) {
    return record(AuditEvent.of("rules-remove-requested", "firewall", firewall, "by", by));
  }

  /**
   * knockd removed its firewall rules ({@code removed}, in words), {@code by} {@code exit}
   * (OnExit = remove) or {@code remove-rules} (knockd --remove-rules).
   */
  default boolean rulesRemoved(String firewall, String removed, String by) {
    return record(AuditEvent.of("rules-removed", "firewall", firewall, "removed", removed, "by", by));
  }

  /** knockd created a key file for a user (CreateKey = yes). The key itself is not logged. */
  default boolean keyCreated(String user, String file) {
    return record(AuditEvent.of("key-created", "user", user, "file", file));
  }

  /**
   * An unexpected exception knockd survived. {@code where}: the thread or step (log-reader,
   * pipeline, sweeper, command, reload); {@code suppressed}: how many like it were not audited
   * since the last such event. No stack trace.
   */
  default boolean internalError(String where, String exceptionClass, String message,
      long suppressed) {
    return record(AuditEvent.of("internal-error", "where", where, "class", exceptionClass,
        "message", message, "suppressed", suppressed > 0 ? String.valueOf(suppressed) : null));
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
