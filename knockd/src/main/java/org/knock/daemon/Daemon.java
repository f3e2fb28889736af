package org.knock.daemon;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.knock.core.KnockDecoder;
import org.knock.daemon.audit.Audit;
import org.knock.daemon.config.ActionConfig;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.DoorConfig;
import org.knock.daemon.config.FirewallLog;
import org.knock.daemon.config.FirewallType;
import org.knock.daemon.config.OnExit;
import org.knock.daemon.config.OneTimeSequences;
import org.knock.daemon.config.Options;
import org.knock.daemon.exec.CommandRunner;
import org.knock.daemon.firewall.Access;
import org.knock.daemon.firewall.Firewall;
import org.knock.daemon.firewall.FirewallException;
import org.knock.daemon.firewall.Firewalls;
import org.knock.daemon.firewall.FirewallSettings;
import org.knock.daemon.log.LineFilter;
import org.knock.daemon.log.LineSink;
import org.knock.daemon.log.LineSource;
import org.knock.daemon.log.LineSources;
import org.knock.daemon.log.NetfilterLogParser;
import org.knock.daemon.log.PacketHandler;
import org.knock.daemon.log.SourceListener;
import org.knock.daemon.state.BootTime;
import org.knock.daemon.state.DoorStops;
import org.knock.daemon.state.FileReplayCache;

/**
 * A running knockd: owns the firewall (installed or adopted at start; at {@link #close} left in
 * place, fail closed, unless {@code OnExit = remove}), the replay cache in StateDir, the log source
 * and its reader thread, the sweeper and the command runners. The reader and the sweeper share
 * one lock, so the pipeline sees one thing at a time. {@link #reload} applies a new config and
 * its firewall rules together, or nothing. No input stops it: an exception in the reader, the
 * pipeline, the sweeper or a command is reported ({@link InternalErrors}) and skipped;
 * {@link #awaitEnd} returns a fault only when a thread died or the log source ended when it
 * should not (knockd then exits non-zero).
 */
final class Daemon implements AutoCloseable {
  private static final Logger LOG = LogManager.getLogger(Daemon.class);
  /** How often sequences, grants and retries are swept. */
  static final Duration SWEEP = Duration.ofMillis(250);
  /** Most ports one source may hold in one sequence. */
  static final int MAX_PORTS_PER_SOURCE = 512;

  private final Object lock = new Object();
  private final Clock clock;
  private final Audit audit;
  private final Firewall firewall;
  private final FileReplayCache replay;
  private final LineSource source;
  private final ScheduledExecutorService sweeper;
  private final ExecutorService runners;
  private final CommandRunner runner = new CommandRunner();
  /**
   * Door Stop_Commands scheduled and not yet begun: {@link #close} runs them, so that a door
   * opened less than Cmd_Timeout before a stop does not stay open for good. Each runs once.
   */
  private final java.util.Set<Runnable> pendingStops =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  /**
   * The same, on disk: a knockd killed before they ran runs them at its next start. Null for a
   * self-test beside a running knockd (the file is that knockd's).
   */
  private final DoorStops doorStops;
  private final InternalErrors errors;
  private final LogReader logReader;
  private final CompletableFuture<Ending> ending = new CompletableFuture<>();
  private final SelfTest selfTest = new SelfTest();
  private final boolean ownFirewall;
  private String spec;
  private volatile Config config;
  /** The pipeline in place, which the parser hands packets to through the self-test's guard. */
  private final CurrentPipeline current = new CurrentPipeline(null);
  private final UnreadableReport unreadable = new UnreadableReport();
  /** Unparsable lines counted by parsers a reload replaced. */
  private long unparsableBefore;
  private long sourceUnreadableSeen;
  private NetfilterLogParser parser;
  private volatile LineFilter lineFilter = LineFilter.ALL;
  private volatile Thread reader;
  /** The log reader thread's name. */
  static final String READER = "log-reader";
  /** The reader's real-time scheduling and watchdog; null but for kmsg and NFLOG read directly. */
  private RealtimeReader realtime;
  private boolean closed;

  private Daemon(Config config, Clock clock, Audit audit, Firewall firewall,
      FileReplayCache replay, DoorStops doorStops, LineSource source, boolean ownFirewall) {
    this.ownFirewall = ownFirewall;
    this.doorStops = doorStops;
    this.config = config;
    this.clock = clock;
    this.audit = audit;
    this.firewall = firewall;
    this.replay = replay;
    this.source = source;
    this.errors = new InternalErrors(audit, clock);
    // the self-test's probe is held back by its exact tuple: never a knock, a scan or a hunt
    PacketHandler toPipeline = selfTest.guard(current);
    // lines without the LOG prefix are dropped on their bytes, never decoded; the others are
    // parsed in place
    this.logReader = new LogReader(source, new LineSink() {
      @Override
      public void onLine(String line) {
        synchronized (lock) {
          parser.parse(line, toPipeline);
        }
      }

      @Override
      public void onLine(byte[] a, int from, int to) {
        synchronized (lock) {
          parser.parse(a, from, to, toPipeline);
        }
      }

      @Override
      public LineFilter filter() {
        return lineFilter;
      }
    }, errors, clock);
    this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> daemonThread(r, "sweeper"));
    // commands run at nice 0, whichever thread (the reader at nice -5) first needed a runner
    this.runners = Executors.newFixedThreadPool(4, r -> daemonThread(r, "command"));
  }

  /** A daemon thread at normal priority, whatever the priority of the thread that makes it. */
  static Thread daemonThread(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.setPriority(Thread.NORM_PRIORITY);
    return t;
  }

  /**
   * Installs the firewall, opens the state and the log, and starts reading.
   *
   * @param commandPrefix put before every firewall program (tests: {@code ip netns exec NS})
   * @throws StartupException with a one-line message; whatever was installed is removed again
   */
  static Daemon start(Config config, Clock clock, Audit audit, List<String> commandPrefix)
      throws StartupException {
    return start(config, clock, audit, commandPrefix, null, true);
  }

  /**
   * @param ownFirewall false: install nothing and grant nothing (firewall "none"), for a self-test
   *     on demand beside a running knockd whose rules are in place
   */
  static Daemon start(Config config, Clock clock, Audit audit, List<String> commandPrefix,
      boolean ownFirewall) throws StartupException {
    return start(config, clock, audit, commandPrefix, null, ownFirewall);
  }

  /** As above, reading {@code source} (tests) instead of the configured FirewallLog if not null. */
  static Daemon start(Config config, Clock clock, Audit audit, List<String> commandPrefix,
      LineSource source) throws StartupException {
    return start(config, clock, audit, commandPrefix, source, true);
  }

  /**
   * As above, with the kernel's boot time given (tests whose clock is not the wall clock)
   * instead of read from /proc/stat.
   */
  static Daemon start(Config config, Clock clock, Audit audit, List<String> commandPrefix,
      LineSource source, long bootSecond) throws StartupException {
    return start(config, clock, audit, commandPrefix, source, true, bootSecond);
  }

  private static Daemon start(Config config, Clock clock, Audit audit, List<String> commandPrefix,
      LineSource source, boolean ownFirewall) throws StartupException {
    long boot;
    try {
      boot = BootTime.read(BootTime.PROC_STAT);
    } catch (IOException e) {
      throw new StartupException("cannot read the kernel's boot time: " + e.getMessage());
    }
    return start(config, clock, audit, commandPrefix, source, ownFirewall, boot);
  }

  private static Daemon start(Config config, Clock clock, Audit audit, List<String> commandPrefix,
      LineSource source, boolean ownFirewall, long bootSecond) throws StartupException {
    Options o = config.options();
    Firewall firewall;
    int leavePercent;
    try {
      leavePercent = ReaderScheduling.leavePercent(); // a bad one stops any start, first
      firewall = ownFirewall ? Wiring.firewall(config, commandPrefix, clock)
          : Firewalls.create("none", Wiring.firewallSettings(config),
              Wiring.firewallOptions(config, commandPrefix), clock);
    } catch (IllegalArgumentException e) {
      throw new StartupException(e.getMessage());
    }
    FileReplayCache replay = null;
    DoorStops doorStops = null;
    try {
      replay = FileReplayCache.open(o.stateDir(), config.decoderSettings().timeWindow(),
          clock.instant().getEpochSecond(), bootSecond, FileReplayCache.Syncer.thread(),
          syncListener(audit, o.stateDir().resolve("replay.log").toString()));
      // not for a self-test beside a running knockd: the file is that knockd's
      doorStops = ownFirewall ? DoorStops.open(o.stateDir()) : null;
      installRaised(firewall);
      auditEndedAtInstall(firewall.endedAtInstall(), audit);
      String spec = source != null ? "test" : sourceSpec(o.firewallLog());
      LineSource in = source != null ? source : LineSources.open(spec, listener(audit),
          o.kmsgPoll(), wakePorts(o));
      Daemon d = new Daemon(config, clock, audit, firewall, replay, doorStops, in, ownFirewall);
      d.spec = spec;
      d.realtime = in.kernelDirect()
          ? new RealtimeReader(ReaderScheduling.create(READER, leavePercent), d::guarded, d::fail,
              d.logReader::close)
          : null;
      d.build(config);
      d.startThreads();
      d.stopDoorsOfAnEarlierRun();
      return d;
    } catch (FirewallException | IOException | RuntimeException e) {
      stopFirewall(firewall, o, audit); // fail closed: what was installed stays (OnExit = keep)
      closeQuietly(replay);
      closeQuietly(doorStops);
      throw new StartupException(e instanceof FirewallException
          ? "cannot install the firewall: " + e.getMessage()
          : e instanceof IOException
          ? "cannot use state directory " + o.stateDir() + ": " + e.getMessage()
          : e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  /**
   * Audits what installing ended of an earlier run (a leftover nftables table that could not be
   * adopted, recreated): {@code access-closed by=reinstall} for each grant that could be read
   * there, then one {@code firewall-error what=install} that says what was recreated and counts
   * what ended.
   */
  static void auditEndedAtInstall(Firewall.Ended ended, Audit audit) {
    if (!ended.any()) {
      return;
    }
    for (Access a : ended.grants()) {
      KnockPipeline.auditClosed(audit, a, "reinstall");
    }
    String others = ended.others() < 0 ? ", and what could not be read there"
        : ended.others() > 0 ? ", and " + ended.others() + " other element(s)" : "";
    String message = ended.what() + " of an earlier run could not be adopted and was recreated: "
        + ended.grants().size() + " grant(s) ended" + others;
    audit.firewallError("install", message, false);
    LOG.warn(message);
  }

  /**
   * Installs at the log reader's Java priority (nice -5 as root): what the backend starts now
   * (the {@code nft -i} session and its reader thread) inherits it, so that a grant waits less on
   * a busy machine. An {@code nft -i} the real-time reader starts again later (after nft died)
   * runs at nice 0: real-time scheduling is reset on fork, and so is a negative nice value.
   */
  private static void installRaised(Firewall firewall) throws FirewallException {
    Thread me = Thread.currentThread();
    int priority = me.getPriority();
    me.setPriority(Thread.MAX_PRIORITY);
    try {
      firewall.install();
    } finally {
      me.setPriority(priority);
    }
  }

  /**
   * Fails closed: leaves the firewall's rules in place (OnExit = keep, the default), or removes
   * them and audits it (OnExit = remove); then releases the backend, auditing each grant that
   * stopping it ended ({@code access-closed by=exit}: the command backend's). Never throws.
   */
  private static void stopFirewall(Firewall firewall, Options o, Audit audit) {
    stopFirewall(firewall, o, audit, o.onExit() == OnExit.REMOVE);
  }

  private static void stopFirewall(Firewall firewall, Options o, Audit audit, boolean remove) {
    boolean rules = o.firewall() == FirewallType.NFTABLES || o.firewall() == FirewallType.IPTABLES;
    if (remove) {
      try {
        String removed = firewall.remove();
        audit.rulesRemoved(o.firewall().word(), removed, "exit");
        LOG.info("removed {} (OnExit = remove)", removed);
      } catch (FirewallException e) {
        audit.firewallError("remove", e.getMessage(), false);
        LOG.error(e.getMessage());
      }
    } else if (rules) {
      LOG.info("{} rules stay in place (OnExit = keep): protected ports stay closed, grants end "
          + "by their own timeouts, a restart adopts them; knockd --remove-rules removes them",
          o.firewall().word());
    }
    for (Access a : firewall.stop()) { // the command backend's
      KnockPipeline.auditClosed(audit, a, "exit");
    }
  }

  private static void closeQuietly(FileReplayCache c) {
    if (c != null) {
      c.close();
    }
  }

  private static void closeQuietly(DoorStops s) {
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        LOG.error("cannot close {}: {}", s.file(), e.getMessage());
      }
    }
  }

  /** The log source this daemon reads: a path, kmsg, journal or "-". */
  String source() {
    return spec;
  }

  /**
   * On unless the JVM runs with {@code -Dknockd.kmsgWake=false} (or no, off, 0): the packets
   * knockd's rules log as knocks wake the kmsg reader at once ({@link
   * org.knock.daemon.netlink.KmsgChannel}), where knockd may open packet sockets and no
   * {@code KmsgPoll} makes the reader poll anyway; off, or where it may not, the reader waits
   * for the kernel's tick. Off by default until 2026-12-02, when a full IT run with it on was
   * green (docs/BENCHMARKS.md §1 rounds 13 and 14).
   */
  static final String KMSG_WAKE = "knockd.kmsgWake";

  /**
   * The value that turns off a feature that is on unless {@code -Dproperty=false} (or no, off,
   * 0, in any case); null while it is on.
   */
  static String switchedOff(String property) {
    String v = System.getProperty(property, "true").strip().toLowerCase(Locale.ROOT);
    return List.of("false", "no", "off", "0").contains(v) ? v : null;
  }

  /**
   * The packets that wake the kmsg reader at once; null if {@link #KMSG_WAKE} is off or
   * {@code KmsgPoll} is set (the reader then polls, and packet sockets would only cost).
   */
  private static org.knock.daemon.netlink.KnockPorts wakePorts(Options o) {
    if (o.kmsgPoll() != null || switchedOff(KMSG_WAKE) != null) {
      return null;
    }
    return new org.knock.daemon.netlink.KnockPorts(o.knockPorts().start(), o.knockPorts().end(),
        o.udpKnocks());
  }

  /**
   * The log source and how it is read, for the start line: e.g. whether nflog:GROUP is read
   * directly or through ulogd.
   */
  String sourceDescription() {
    return spec.equals("test") ? spec : source.describe();
  }

  /** The log source: as configured, else the automatic choice ({@link LineSources#defaultSpec}). */
  static String sourceSpec(FirewallLog log) {
    return log == null ? LineSources.defaultSpec() : log.toString();
  }

  /** Audits the replay cache's background sync failing and recovering (any thread). */
  private static FileReplayCache.SyncListener syncListener(Audit audit, String file) {
    return new FileReplayCache.SyncListener() {
      @Override
      public void failed(String message) {
        audit.replaySyncError(file, message);
        LOG.error("cannot sync {}: {} (until a sync succeeds, each knock waits for its own and is "
            + "refused if it fails)", file, message);
      }

      @Override
      public void recovered() {
        audit.replaySyncRecovered(file);
      }
    };
  }

  private static SourceListener listener(Audit audit) {
    return new SourceListener() {
      @Override
      public void lost(String source, String reason) {
        audit.sourceLost(source, reason);
      }

      @Override
      public void recovered(String source) {
        audit.sourceRecovered(source);
      }

      @Override
      public void overrun(String source, long linesLost) {
        audit.sourceOverrun(source, linesLost);
      }
    };
  }

  /** (Re)builds decoder, tracker, doors and pipeline from a config. Caller holds the lock. */
  private void build(Config c) {
    Options o = c.options();
    try {
      replay.widen(c.decoderSettings().timeWindow(), clock.instant().getEpochSecond());
    } catch (IOException e) {
      LOG.error("cannot record the wider TimeWindow in {}: {} (it is in force anyway)",
          o.stateDir(), e.getMessage());
    }
    KnockDecoder decoder = new KnockDecoder(c.decoderSettings(), c.knockUsers(), replay);
    SourceTracker tracker = new SourceTracker(decoder, o.sequenceTimeout(), o.maxSources(),
        MAX_PORTS_PER_SOURCE, new CheckBudget(o.maxTagChecks(), decoder.checksPerMessage()));
    DoorMatcher doors = new DoorMatcher(Wiring.doors(c), o.maxSources());
    KnockPipeline next = new KnockPipeline(c, clock, tracker, doors, firewall, audit, commands());
    KnockPipeline previous = current.get();
    if (previous != null) {
      next.carryOverState(previous); // a reload keeps deny-further, grants and retries
    }
    NetfilterLogParser nextParser = new NetfilterLogParser(o.logPrefix().strip());
    LineFilter nextFilter = LineFilter.containing(o.logPrefix());
    // nothing above wrote a line or acted: a failure there refuses the reload with no trace.
    // From here the new pipeline is in place, and what it decides or reports is its own
    current.set(next);
    if (parser != null) {
      unparsableBefore += parser.unparsable();
    }
    this.parser = nextParser;
    this.lineFilter = nextFilter;
    this.config = c;
    if (previous != null) {
      try {
        next.carryOverInFlight(previous); // hunt windows, knocks in progress
      } catch (RuntimeException e) {
        errors.report("reload", e); // the reload stands; what was not carried over is lost
      }
    }
  }

  private KnockPipeline.Commands commands() {
    return new KnockPipeline.Commands() {
      @Override
      public void runAction(ActionConfig action, String user, String ip, String source) {
        List<String> argv = action.command().expand(Map.of("IP", ip, "USER", user));
        runners.execute(guarded("command", () -> {
          long t0 = System.nanoTime();
          CommandRunner.Result r = runner.run(argv, action.timeout(), null);
          audit.actionRun(action.name(), user, source, r.exit(),
              Duration.ofNanos(System.nanoTime() - t0), r.timedOut());
        }));
      }

      @Override
      public void openDoor(DoorMatcher.Door door, String source) {
        DoorConfig d = config.door(door.name()).orElse(null);
        if (d == null) {
          return;
        }
        runners.execute(guarded("command",
            () -> runDoorCommand(d.name(), d.startCommand(), source)));
        if (door.oneTime()) {
          try {
            if (!OneTimeSequences.markUsed(d.oneTimeSequencesFile(), door.steps())) {
              LOG.warn("door {}: used sequence not found in {}", d.name(),
                  d.oneTimeSequencesFile());
            }
          } catch (IOException e) {
            LOG.error("door {}: cannot mark a one-time sequence used in {}: {}", d.name(),
                d.oneTimeSequencesFile(), e.getMessage());
          }
        }
        if (d.stopCommand() != null) {
          long delay = d.cmdTimeout().toMillis();
          scheduleStop(d, source, owe(d, source, clock.millis() + delay), delay);
        }
      }
    };
  }

  /** Records a door's Stop_Command as owed on disk; null (logged) if it cannot be written. */
  private DoorStops.Owed owe(DoorConfig d, String source, long dueMillis) {
    if (doorStops == null) {
      return null;
    }
    try {
      return doorStops.opened(d.name(), source, dueMillis);
    } catch (IOException | RuntimeException e) {
      LOG.error("door {}: cannot record its Stop_Command for {} in {}: {} (it runs on time, but "
          + "not after a crash)", d.name(), source, doorStops.file(), e.getMessage());
      return null;
    }
  }

  /**
   * Runs door {@code d}'s Stop_Command for {@code source} in {@code delayMillis} (or when knockd
   * stops, whichever comes first), audits it ({@code door-closed}) and marks {@code owed} done.
   */
  private void scheduleStop(DoorConfig d, String source, DoorStops.Owed owed, long delayMillis) {
    Runnable[] stop = new Runnable[1];
    stop[0] = guarded("command", () -> {
      if (pendingStops.remove(stop[0])) { // not run yet (by the timer or by close)
        CommandRunner.Result r = runDoorCommand(d.name(), d.stopCommand(), source);
        audit.doorClosed(d.name(), source, r.exit(), r.timedOut());
        settled(owed);
      }
    });
    pendingStops.add(stop[0]);
    try {
      sweeper.schedule(stop[0], delayMillis, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // knockd is stopping (a line read after the stop began): the door closes now, as the
      // doors still open at a stop do
      LOG.warn("door {}: opened while knockd stops; its Stop_Command runs now", d.name());
      stop[0].run();
    }
  }

  private void settled(DoorStops.Owed owed) {
    if (owed == null) {
      return;
    }
    try {
      doorStops.done(owed);
    } catch (IOException e) {
      LOG.error("cannot record in {} that door {}'s Stop_Command for {} ran: {} (the next start "
          + "runs it again)", doorStops.file(), owed.door(), owed.source(), e.getMessage());
    }
  }

  /**
   * The Stop_Commands an earlier knockd owed and did not run (it was killed, or the machine went
   * down): each runs at its time, or now if that is past, with this config's Stop_Command of the
   * door, and is audited {@code door-closed}. A door no longer configured, or without a
   * Stop_Command now, cannot be closed by knockd: audited {@code firewall-error what=door-stop}.
   */
  private void stopDoorsOfAnEarlierRun() {
    if (doorStops == null) {
      return;
    }
    for (DoorStops.Owed o : doorStops.earlier()) {
      DoorConfig d = config.door(o.door()).orElse(null);
      if (d == null || d.stopCommand() == null) {
        String m = "door " + o.door() + " for " + o.source() + ", opened by an earlier knockd "
            + "that did not live to run its Stop_Command: " + (d == null ? "no such door now"
            : "no Stop_Command now") + "; close it by hand";
        audit.firewallError("door-stop", m, false);
        LOG.warn(m);
        settled(o);
        continue;
      }
      long delay = Math.max(0, o.dueMillis() - clock.millis());
      LOG.info("door {}: the Stop_Command an earlier knockd owed for {} runs in {} ms", d.name(),
          o.source(), delay);
      scheduleStop(d, o.source(), o, delay);
    }
  }

  /** knockd runs door commands with /bin/sh -c; %IP% is a validated address literal. */
  private CommandRunner.Result runDoorCommand(String door, String command, String source) {
    String cmd = command.replace("%IP%", source);
    CommandRunner.Result r = runner.run(List.of("/bin/sh", "-c", cmd),
        config.options().commandTimeout(), null);
    if (!r.succeeded()) {
      LOG.warn("door {}: command failed (exit {}): {}", door, r.exit(), r.firstLine());
    }
    return r;
  }

  /**
   * {@code task} with its exceptions reported and skipped; an Error (e.g. out of memory) ends
   * the daemon as a fault instead of silently killing a pool thread or a scheduled task.
   */
  private Runnable guarded(String where, Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        errors.report(where, e);
      } catch (Error e) {
        fail(where, e);
      }
    };
  }

  private void startThreads() {
    reader = new Thread(() -> {
      try {
        if (realtime != null) {
          realtime.enter();
        }
        LogReader.End end = logReader.run();
        switch (end) {
          case INPUT_ENDED -> {
            serveOwedChecks();
            ending.complete(new Ending(false, "end of log"));
          }
          case FAILED -> ending.complete(new Ending(true, logReader.failure()));
          default -> ending.complete(new Ending(false, "closed"));
        }
      } catch (InterruptedException e) {
        ending.complete(new Ending(false, "closed"));
      } catch (RuntimeException | Error e) {
        fail("log-reader", e);
      }
    }, READER);
    reader.setDaemon(true);
    // nice -5 when the JVM may (bin/knockd as root: -XX:ThreadPriorityPolicy=1); else no effect
    reader.setPriority(Thread.MAX_PRIORITY);
    reader.start();
    try {
      if (!source.awaitStarted(5, TimeUnit.SECONDS)) {
        LOG.warn("{}: not positioned after 5 s; reading goes on", source.name());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sweeper.scheduleWithFixedDelay(guarded("sweeper", this::sweep), SWEEP.toMillis(),
        SWEEP.toMillis(), TimeUnit.MILLISECONDS);
    // compiles a knock's path now, on private objects, not when the first real knock arrives
    Config c = config;
    Thread warm = daemonThread(guarded("jit-warmup", () -> {
      long t0 = System.nanoTime();
      try {
        JitWarmup.run(c, clock, JitWarmup.KNOCKS, JitWarmup.MAX_TIME);
      } catch (IOException e) {
        LOG.warn("no warm-up of a knock's path (the first knocks take a few ms more): {}",
            e.getMessage());
      }
      JitWarmup.warmFirewall(firewall, JitWarmup.FIREWALL_ROUNDS, JitWarmup.MAX_TIME);
      LOG.info("warm-up done in {} ms: a knock's path and the grant calls are compiled",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }), "jit-warmup");
    warm.setPriority(Thread.MIN_PRIORITY);
    warm.start();
  }

  /** How the log reader is scheduled, for the start line; null where it is not chosen. */
  String readerDescription() {
    return realtime == null ? null : realtime.describe();
  }

  /** Most sweeps the end of standard input waits for to serve the checks still owed. */
  static final int OWED_SWEEPS = 12;

  /**
   * At the end of standard input: sweeps, one per {@link #SWEEP}, until no knock check that the
   * budget refused is owed (at most {@link #OWED_SWEEPS}). A file read faster than MaxTagChecks
   * allows spends a second's budget in a fraction of it; the checks it refused are served by the
   * next seconds' sweeps, which a daemon that stopped at once would never run.
   */
  private void serveOwedChecks() throws InterruptedException {
    for (int i = 0; i < OWED_SWEEPS; i++) {
      sweep();
      synchronized (lock) {
        if (!current.get().owesChecks()) {
          return;
        }
      }
      Thread.sleep(SWEEP.toMillis());
    }
  }

  private void sweep() {
    synchronized (lock) {
      current.get().sweep();
      reportUnreadable();
      try {
        replay.prune(clock.instant().getEpochSecond());
      } catch (IOException e) {
        LOG.error("cannot prune the replay cache: {}", e.getMessage());
      }
    }
  }

  /** Logs (at most once a minute) input with knockd's prefix that was no readable packet. */
  private void reportUnreadable() {
    long fromSource = source.unreadable();
    String problem = fromSource > sourceUnreadableSeen ? source.lastUnreadable()
        : parser.lastProblem();
    sourceUnreadableSeen = fromSource;
    String line = unreadable.check(unparsableBefore + parser.unparsable() + fromSource, problem,
        clock.millis());
    if (line != null) {
      LOG.warn("{}", line);
    }
  }

  /**
   * Ends the daemon as a fault: {@code t} escaped a thread ({@code where}). {@link #awaitEnd}
   * returns; knockd exits non-zero.
   */
  void fail(String where, Throwable t) {
    String m = InternalErrors.message(t);
    ending.complete(new Ending(true, "internal error in " + where + ": "
        + t.getClass().getName() + (m.isEmpty() ? "" : ": " + m)));
  }

  /**
   * Runs the self-test ({@link SelfTest}) through the running source: a probe SYN to the first
   * knock port. Null when the source is standard input (its lines do not come from this kernel).
   */
  SelfTest.Outcome selfTest() throws InterruptedException {
    Options o = config.options();
    if (spec.equals("-")) {
      return null;
    }
    boolean ownRules = ownFirewall && (o.firewall() == FirewallType.IPTABLES
        || (o.firewall() == FirewallType.NFTABLES && o.nftSet() == null));
    return selfTest.run(o.knockPorts().start(), o.logPrefix().strip(), spec, ownRules);
  }

  /**
   * Applies a new config as a whole: its firewall rules (knock range, LOG prefix, Protect,
   * KnockReply, door ports) in one step of the backend, then users, actions and doors; open
   * grants, denied sources, retries and the ports of knocks in progress carry over. Under the
   * pipeline's lock, so no packet is decided between the two.
   *
   * @return the {@code [options]} keys that changed
   * @throws ReloadRefused with one line if it cannot be applied; the running config (and its
   *     rules) then stays in force
   */
  List<String> reload(Config c) throws ReloadRefused {
    synchronized (lock) {
      Config old = config;
      String restart = ReloadPlan.restartNeeded(old.options(), c.options());
      if (restart != null) {
        throw new ReloadRefused(restart);
      }
      FirewallSettings before = Wiring.firewallSettings(old);
      FirewallSettings after;
      try {
        after = Wiring.firewallSettings(c);
      } catch (IllegalArgumentException e) {
        throw new ReloadRefused(e.getMessage());
      }
      boolean rewrite = !after.equals(before);
      if (rewrite) {
        try {
          firewall.reconfigure(after);
        } catch (FirewallException e) {
          throw new ReloadRefused("cannot apply the new firewall rules: " + e.getMessage());
        }
      }
      try {
        build(c);
        org.knock.daemon.netlink.KnockPorts wake = wakePorts(c.options());
        if (!java.util.Objects.equals(wake, wakePorts(old.options()))) {
          source.knockPortsChanged(wake);
        }
      } catch (RuntimeException e) {
        String reason = e.getMessage() == null ? e.toString() : e.getMessage();
        if (rewrite) {
          try {
            firewall.reconfigure(before);
          } catch (FirewallException back) {
            LOG.error("cannot restore the firewall rules of the running config: {}",
                back.getMessage());
            // the record must not say the running config is whole: its rules may be gone
            reason += "; and the running config's firewall rules could not be restored ("
                + back.getMessage() + "): the firewall may hold the new config's rules";
          }
        }
        throw new ReloadRefused(reason);
      }
      return ReloadPlan.changedOptions(old.options(), c.options());
    }
  }

  /**
   * How the daemon ended.
   *
   * @param fault true if it must exit non-zero (a thread died, the log source ended or kept
   *     failing); false for the end of standard input or a close
   * @param reason for the audit log's daemon-stop, one line
   */
  record Ending(boolean fault, String reason) {}

  /**
   * Waits until the log source ends (stdin at end of file), the daemon is closed, or a fault
   * ends it.
   */
  Ending awaitEnd() throws InterruptedException {
    try {
      return ending.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError(e); // never completed exceptionally
    }
  }

  /**
   * Stops reading; runs the door Stop_Commands still pending (each audited door-closed); leaves
   * the firewall rules in place (fail closed) or, with OnExit = remove, removes them. Idempotent.
   */
  @Override
  public void close() {
    close(false);
  }

  /**
   * Stops; {@code removeRules}: also removes the firewall rules whatever OnExit says (the
   * on-demand self-test removes the rules it installed to test them).
   */
  void close(boolean removeRules) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    logReader.close();
    if (realtime != null) {
      realtime.close(); // the reader ends at normal scheduling
    }
    Thread r = reader;
    if (r != null && r != Thread.currentThread()) {
      try { // the line being acted on is done: a door it opened has its Stop_Command pending
        r.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (lock) {
      sweeper.shutdownNow();
    }
    for (Runnable stop : List.copyOf(pendingStops)) { // doors still open: closed now, audited
      runners.execute(stop);
    }
    runners.shutdown();
    try {
      runners.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeQuietly(doorStops);
    synchronized (lock) {
      Options o = config.options();
      stopFirewall(firewall, o, audit, removeRules || o.onExit() == OnExit.REMOVE);
      replay.close();
    }
  }

  Map<String, Long> counters() {
    synchronized (lock) {
      Map<String, Long> m = new HashMap<>();
      m.put("packets", parser.packets());
      m.put("skipped", parser.skipped());
      m.put("unparsable", parser.unparsable());
      m.put("unreadable", unparsableBefore + parser.unparsable() + source.unreadable());
      m.put("denied", current.get().deniedPackets());
      m.put("budget-refused", current.get().budgetRefusals());
      return m;
    }
  }

  /**
   * A reload that cannot be applied, with a one-line reason; nothing was changed, unless the
   * reason says that the firewall's rules could not be put back.
   */
  static final class ReloadRefused extends Exception {
    private static final long serialVersionUID = 1L;

    ReloadRefused(String reason) {
      super(reason.replaceAll("[\\r\\n]+", " ").strip());
    }
  }

  /** A start-up failure, with a one-line message. */
  static final class StartupException extends Exception {
    private static final long serialVersionUID = 1L;

    StartupException(String message) {
      super(message);
    }
  }
}
