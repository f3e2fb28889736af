package org.knock.daemon;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;
import org.apache.commons.cli.help.HelpFormatter;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.knock.daemon.audit.Audit;
import org.knock.daemon.audit.Log4jAudit;
import org.knock.daemon.audit.Logging;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.ConfigException;
import org.knock.daemon.config.ConfigLoader;
import org.knock.daemon.config.ConfigReport;
import org.knock.daemon.firewall.Firewalls;

/**
 * {@code knockd --config FILE [--check [--self-test] | --remove-rules]}: runs in the foreground
 * and logs to stderr (systemd supervises it). Exit codes: 0 ok (or standard input ended), 1 bad
 * config or start-up failure (or rules that could not be removed), 2 usage, 3 stopped by a fault
 * (a thread died, the log source ended or kept failing) so that systemd's Restart=on-failure
 * restarts it.
 */
public final class Main {
  /** The version printed by {@code --version} and audited at start. */
  public static final String VERSION = "0.1.0";
  static final Path DEFAULT_CONFIG = Path.of("/etc/knockd/knockd.conf");
  /** Tests only: run firewall programs with this prefix, e.g. "ip netns exec NS". */
  static final String PREFIX_PROPERTY = "knockd.commandPrefix";
  /** The exit code when a fault stopped the daemon. */
  static final int EXIT_FAULT = 3;

  private Main() {}

  public static void main(String[] args) {
    // our shutdown hook audits daemon-stop and then stops Log4j itself
    System.setProperty("log4j2.shutdownHookEnabled", "false");
    Logging.configureConsole(Level.INFO);
    int code = run(args, System.out, System.err);
    if (code >= 0) {
      Logging.shutdown();
      System.exit(code);
    }
  }

  private static Options options() {
    Options o = new Options();
    o.addOption(Option.builder("c").longOpt("config").hasArg().argName("FILE")
        .desc("the configuration (default " + DEFAULT_CONFIG + ")").get());
    o.addOption(Option.builder().longOpt("check")
        .desc("validate the configuration and run the checks start-up runs (AllowRoot, "
            + "writable AuditLog and StateDir, programs), print what knockd would do, exit 0 "
            + "or 1").get());
    o.addOption(Option.builder().longOpt("self-test")
        .desc("with --check: start as the daemon would, send one probe SYN to a knock port, "
            + "report whether its LOG line comes back through FirewallLog, stop; exit 0 or 1")
        .get());
    o.addOption(Option.builder().longOpt("remove-rules")
        .desc("remove the firewall rules knockd keeps in place when it stops (its nftables table "
            + "or iptables chain), audit it, exit 0 or 1; stop knockd first").get());
    o.addOption(Option.builder("h").longOpt("help").desc("show this help").get());
    o.addOption(Option.builder("V").longOpt("version").desc("print the version").get());
    return o;
  }

  /** Runs the command line; returns the exit code, or -1 once the daemon ended by a signal. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cl;
    try {
      cl = DefaultParser.builder().get().parse(options(), args);
    } catch (ParseException e) {
      err.println("knockd: " + e.getMessage() + " (see knockd --help)");
      return 2;
    }
    if (cl.hasOption("help")) {
      try {
        HelpFormatter.builder().setShowSince(false).get().printHelp(
            "knockd [--config FILE] [--check [--self-test] | --remove-rules]",
            "Encrypted port knocking daemon: reads the firewall's LOG lines, decodes knocks, "
                + "opens access.\n\n", options(),
            "\nExit codes: 0 ok, 1 bad configuration or start-up failure, 2 usage, 3 stopped by "
                + "a fault (an internal error, or the log source ended).", false);
      } catch (IOException e) {
        return 2;
      }
      return 0;
    }
    if (cl.hasOption("version")) {
      out.println("knockd " + VERSION);
      return 0;
    }
    if (cl.hasOption("check") && cl.hasOption("remove-rules")) {
      err.println("knockd: --check and --remove-rules exclude each other (see knockd --help)");
      return 2;
    }
    if (!cl.getArgList().isEmpty()) {
      err.println("knockd: unexpected argument '" + cl.getArgList().get(0)
          + "' (see knockd --help)");
      return 2;
    }
    if (cl.hasOption("self-test") && !cl.hasOption("check")) {
      err.println("knockd: --self-test goes with --check (knockd runs it at every start unless "
          + "SelfTest = no)");
      return 2;
    }
    Path file = Path.of(cl.getOptionValue("config", DEFAULT_CONFIG.toString()));
    Config config;
    try {
      config = ConfigLoader.load(file);
    } catch (ConfigException e) {
      err.println(e.getMessage());
      return 1;
    }
    if (cl.hasOption("check")) {
      config.notices().forEach(n -> err.println("knockd: " + n));
      StartupChecks checks = StartupChecks.forThisProcess(config);
      checks.doorWarnings().forEach(w -> err.println("knockd: warning: " + w));
      checks.forwardWarnings().forEach(w -> err.println("knockd: warning: " + w));
      List<String> problems = checks.all();
      if (!problems.isEmpty()) {
        problems.forEach(err::println);
        return 1;
      }
      out.print(ConfigReport.render(config));
      out.println("# " + Firewalls.grantPath(config.options().firewall().word(),
          Wiring.firewallOptions(config, List.of())));
      return cl.hasOption("self-test") ? selfTestOnDemand(file, config, err) : 0;
    }
    if (cl.hasOption("remove-rules")) {
      return RuleRemoval.run(config, commandPrefix(), out, err);
    }
    return serve(file, config, err);
  }

  /**
   * Refuses root without AllowRoot, then sets up logging (console and audit): what serving and
   * the on-demand self-test need first. False (with a line on err) if knockd must not go on.
   */
  private static boolean prepare(Config config, PrintStream err) {
    if (StartupChecks.effectiveUid() == 0 && !config.options().allowRoot()) {
      err.println("knockd: refusing to run as root (AllowRoot = no): run it as a dedicated user "
          + "with CAP_NET_ADMIN (see etc/knockd.service)");
      return false;
    }
    StartupChecks checks = StartupChecks.forThisProcess(config);
    checks.doorWarnings().forEach(w -> err.println("knockd: warning: " + w));
    checks.forwardWarnings().forEach(w -> err.println("knockd: warning: " + w));
    List<String> programs = checks.programs();
    if (!programs.isEmpty()) {
      programs.forEach(err::println);
      return false;
    }
    try {
      Logging.configure(config.options(), Level.INFO);
      return true;
    } catch (IOException e) {
      err.println("knockd: " + e.getMessage());
      return false;
    }
  }

  /**
   * {@code --check --self-test}: starts as the daemon would (beside a running knockd whose own
   * rules are in place, it installs nothing and tests those), runs the self-test, stops.
   */
  private static int selfTestOnDemand(Path file, Config config, PrintStream err) {
    if (!prepare(config, err)) {
      return 1;
    }
    Clock clock = Clock.systemUTC();
    Audit audit = new Log4jAudit(clock);
    boolean running = SelfTestRules.present(config, commandPrefix());
    Daemon daemon;
    try {
      daemon = Daemon.start(config, clock, audit, commandPrefix(), !running);
    } catch (Daemon.StartupException e) {
      err.println("knockd: " + e.getMessage());
      return 1;
    }
    try {
      SelfTest.Outcome r = runSelfTest(daemon, audit);
      if (r == null) {
        err.println("knockd: --self-test: FirewallLog = - (standard input) carries no kernel "
            + "lines to test");
        return 1;
      }
      return r.result() == SelfTest.Result.OK ? 0 : 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } finally {
      daemon.close(!running); // rules it installed only to test them go again
    }
  }

  /** Runs the self-test, logs its one line and audits its result; null for standard input. */
  private static SelfTest.Outcome runSelfTest(Daemon daemon, Audit audit)
      throws InterruptedException {
    Logger log = LogManager.getLogger(Main.class);
    SelfTest.Outcome r = daemon.selfTest();
    if (r == null) {
      log.info("self-test skipped: FirewallLog = - (standard input)");
      return null;
    }
    if (r.result() == SelfTest.Result.OK) {
      log.info(r.message());
    } else {
      log.error(r.message());
    }
    audit.selfTest(r.result().word, daemon.source(), r.port());
    return r;
  }

  private static int serve(Path file, Config config, PrintStream err) {
    if (!prepare(config, err)) {
      return 1;
    }
    Logger log = LogManager.getLogger(Main.class);
    config.notices().forEach(log::warn);
    Clock clock = Clock.systemUTC();
    Audit audit = new Log4jAudit(clock);
    Daemon daemon;
    try {
      daemon = Daemon.start(config, clock, audit, commandPrefix());
    } catch (Daemon.StartupException e) {
      // the rules it installed stay (fail closed): on record, as every change knockd makes
      audit.daemonStartFailed(VERSION, file.toString(), e.getMessage());
      err.println("knockd: " + e.getMessage());
      return 1;
    }
    // signals are handled before anything is announced: a SIGHUP or SIGTERM that arrives during
    // the self-test reloads or stops the daemon with its audit record (the JVM's default for
    // SIGHUP is to exit)
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean signalled = new AtomicBoolean();
    AtomicBoolean stopping = new AtomicBoolean();
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> daemon.fail(t.getName(), e));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (!stopping.compareAndSet(false, true)) {
        return; // the main thread stopped the daemon and exits
      }
      signalled.set(true);
      daemon.close();
      audit.daemonStop("signal");
      log.info("knockd stopped");
      Logging.shutdown();
      stopped.countDown();
    }, "shutdown"));
    Signals.onHangup(() -> reload(file, daemon, audit, log));
    audit.daemonStart(VERSION, file.toString());
    String scheduling = daemon.readerDescription();
    log.info("knockd {} started: {} knock ports {}, firewall {}, log {}{}", VERSION,
        config.options().mapping().word(), config.options().knockPorts(),
        config.options().firewall().name().toLowerCase(java.util.Locale.ROOT),
        daemon.sourceDescription(), scheduling == null ? "" : ", " + scheduling);
    if (config.options().selfTest()) {
      try {
        runSelfTest(daemon, audit);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      // returns when standard input ends, a signal closes the daemon, or a fault ends it
      Daemon.Ending end = daemon.awaitEnd();
      if (signalled.get() || !stopping.compareAndSet(false, true)) {
        stopped.await(); // the shutdown hook removes what knockd installed; the JVM then halts
        return -1;
      }
      daemon.close();
      audit.daemonStop(end.reason());
      if (end.fault()) {
        log.error("knockd stopped: {}", end.reason());
        return EXIT_FAULT;
      }
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  static void reload(Path file, Daemon daemon, Audit audit, Logger log) {
    try {
      Config c = ConfigLoader.load(file);
      List<String> changed = daemon.reload(c);
      try {
        Logging.configure(c.options(), Level.INFO);
      } catch (IOException e) { // the reload is in force all the same: it is audited below
        log.error("reload: {} (the audit log stays where it was)", e.getMessage());
      }
      audit.configReloaded(file.toString(), changed);
      log.info("configuration reloaded from {}{}", file,
          changed.isEmpty() ? "" : " (changed: " + String.join(", ", changed) + ")");
    } catch (ConfigException e) {
      String reason = e.getMessage().lines().findFirst().orElse("");
      audit.configReloadRefused(file.toString(), reason);
      log.error("reload refused, keeping the running configuration: {}", e.getMessage());
    } catch (Daemon.ReloadRefused e) {
      audit.configReloadRefused(file.toString(), e.getMessage());
      log.error("reload refused, keeping the running configuration: {}", e.getMessage());
    } catch (RuntimeException e) {
      String m = e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      audit.configReloadRefused(file.toString(), m);
      log.error("reload failed, keeping the running configuration: {}", m);
    }
  }

  static List<String> commandPrefix() {
    String p = System.getProperty(PREFIX_PROPERTY, "").strip();
    return p.isEmpty() ? List.of() : List.of(p.split("\\s+"));
  }
}
