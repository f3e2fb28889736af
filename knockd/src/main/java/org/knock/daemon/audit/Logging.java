package org.knock.daemon.audit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.ErrorHandler;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.AppenderComponentBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.api.LayoutComponentBuilder;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;
import org.knock.daemon.config.AuditFormat;
import org.knock.daemon.config.Options;

/**
 * Sets up Log4j for the daemon, programmatically (no log4j2.xml): the operational log goes to
 * standard error; the {@value Log4jAudit#LOGGER} logger goes only (additivity off) to the audit
 * log — a file rolled at 10 MB keeping 5 gzipped generations ({@code audit-1.log.gz} newest), mode
 * 0640 — or to standard output for {@code AuditLog = -}. Calling it again (config reload, SIGHUP)
 * replaces the setup and opens the audit file anew, so a file moved by logrotate is left behind.
 * Call {@link #configureConsole} first thing in {@code main}, before any class obtains a Logger.
 * The audit appender does not swallow write errors: a failed write throws to the caller
 * ({@link Log4jAudit} turns it into "not recorded") and Log4j prints nothing about it.
 */
public final class Logging {
  /** Roll the audit log at this size. */
  public static final String ROLL_SIZE = "10MB";
  /** Gzipped generations kept besides the current file. */
  public static final int ROLL_KEEP = 5;
  static final String OPERATIONAL_PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%c{1}] %m%n";
  static final String AUDIT_TEXT_PATTERN = "%K{" + AuditMessage.TIMESTAMP + "} %m%n";
  static final String ECS_TEMPLATE = "classpath:knock-audit-ecs.json";
  private static final String STDERR = "stderr";
  private static final String AUDIT = "audit";
  /**
   * Log4j shares one open file per file name across reconfigurations, so a reload would keep
   * writing to a file logrotate has moved. Alternating between two spellings of the same path
   * ({@code dir/audit.log}, {@code dir/./audit.log}) gives each configuration its own, freshly
   * opened file; the old one is closed when the old configuration stops.
   */
  private static final AtomicInteger SPELLING = new AtomicInteger();
  /** The last {@link #configure} call's arguments, for {@link #reopenAudit}. */
  private static Object[] last;

  private Logging() {}

  /**
   * Before a config is loaded: the operational log at {@code level} and any audit event (as its
   * bare message) to standard error.
   */
  public static void configureConsole(Level level) {
    ConfigurationBuilder<BuiltConfiguration> b = builder();
    b.add(b.newLogger(Log4jAudit.LOGGER, Level.INFO)
        .add(b.newAppenderRef(STDERR))
        .addAttribute("additivity", false));
    b.add(b.newRootLogger(level).add(b.newAppenderRef(STDERR)));
    apply(b.build());
  }

  /**
   * The operational log to standard error at {@code level}, the audit log as the options say
   * ({@link Options#auditLog()}, {@link Options#auditFormat()}).
   *
   * @throws IOException if the audit log cannot be opened for appending, with a one-line message
   */
  public static void configure(Options options, Level level) throws IOException {
    configure(level, options.auditLog(), options.auditFormat(), ROLL_SIZE, ROLL_KEEP);
  }

  /** As {@link #configure(Options, Level)}; {@code auditLog} null means standard output. */
  static synchronized void configure(Level level, Path auditLog, AuditFormat format,
      String rollSize, int keep) throws IOException {
    if (auditLog != null) {
      prepare(auditLog);
    }
    ConfigurationBuilder<BuiltConfiguration> b = builder();
    addAudit(b, auditLog == null ? null : freshSpelling(auditLog), auditLog, format, rollSize,
        keep);
    b.add(b.newRootLogger(level).add(b.newAppenderRef(STDERR)));
    apply(b.build());
    Configuration c = LoggerContext.getContext(false).getConfiguration();
    Appender a = c.getAppender(AUDIT);
    if (a == null || !a.isStarted()) {
      throw new IOException("cannot open audit log " + (auditLog != null ? auditLog : "stdout"));
    }
    a.setHandler(new QuietErrorHandler());
    last = new Object[] {level, auditLog, format, rollSize, keep};
  }

  /** The audit log file of the current setup; null for standard output or before setup. */
  static synchronized Path auditFile() {
    return last == null ? null : (Path) last[1];
  }

  /**
   * Opens the audit log anew, as the last {@link #configure} did (e.g. after it was deleted).
   *
   * @throws IOException with a one-line message if it cannot be opened
   */
  static synchronized void reopenAudit() throws IOException {
    if (last == null) {
      throw new IOException("the audit log is not set up");
    }
    configure((Level) last[0], (Path) last[1], (AuditFormat) last[2], (String) last[3],
        (Integer) last[4]);
  }

  /**
   * The audit appender's error handler: the exception reaches the caller (ignoreExceptions is
   * off), so this one stays silent instead of printing Log4j's stack traces on stderr.
   */
  private static final class QuietErrorHandler implements ErrorHandler {
    @Override
    public void error(String msg) {}

    @Override
    public void error(String msg, Throwable t) {}

    @Override
    public void error(String msg, LogEvent event, Throwable t) {}
  }

  /**
   * Installs a configuration; the first time without Log4j searching for (and warning about
   * missing) configuration files, provided no logger was obtained before.
   */
  private static void apply(Configuration config) {
    LoggerContext ctx = Configurator.initialize(config);
    if (ctx.getConfiguration() != config) {
      Configurator.reconfigure(config);
    }
  }

  private static String freshSpelling(Path auditLog) {
    Path abs = auditLog.toAbsolutePath().normalize();
    return SPELLING.getAndIncrement() % 2 == 1
        ? abs.getParent() + "/./" + abs.getFileName()
        : abs.toString();
  }

  /** The audit logger and its appender (a rolling file, or standard output if file is null). */
  static void addAudit(ConfigurationBuilder<BuiltConfiguration> b, String fileName,
      Path auditLog, AuditFormat format, String rollSize, int keep) {
    LayoutComponentBuilder layout = format == AuditFormat.JSON
        ? b.newLayout("JsonTemplateLayout").addAttribute("eventTemplateUri", ECS_TEMPLATE)
        : b.newLayout("PatternLayout").addAttribute("pattern", AUDIT_TEXT_PATTERN);
    AppenderComponentBuilder audit;
    if (fileName == null) {
      audit = b.newAppender(AUDIT, "Console")
          .addAttribute("target", ConsoleAppender.Target.SYSTEM_OUT)
          .addAttribute("ignoreExceptions", false);
    } else {
      audit = b.newAppender(AUDIT, "RollingFile")
          .addAttribute("fileName", fileName)
          .addAttribute("filePattern", rolledPattern(auditLog))
          .addAttribute("filePermissions", "rw-r-----")
          .addAttribute("immediateFlush", true)
          .addAttribute("ignoreExceptions", false)
          .addComponent(b.newComponent("Policies")
              .addComponent(b.newComponent("SizeBasedTriggeringPolicy")
                  .addAttribute("size", rollSize)))
          .addComponent(b.newComponent("DefaultRolloverStrategy")
              .addAttribute("max", keep)
              .addAttribute("fileIndex", "min"));
    }
    b.add(audit.add(layout));
    b.add(b.newLogger(Log4jAudit.LOGGER, Level.INFO)
        .add(b.newAppenderRef(AUDIT))
        .addAttribute("additivity", false));
  }

  /** Flushes and closes every appender; call once when the daemon exits. */
  public static void shutdown() {
    LogManager.shutdown();
  }

  private static ConfigurationBuilder<BuiltConfiguration> builder() {
    ConfigurationBuilder<BuiltConfiguration> b =
        ConfigurationBuilderFactory.newConfigurationBuilder();
    b.setConfigurationName("knockd");
    b.setStatusLevel(Level.WARN);
    b.add(b.newAppender(STDERR, "Console")
        .addAttribute("target", ConsoleAppender.Target.SYSTEM_ERR)
        .add(b.newLayout("PatternLayout").addAttribute("pattern", OPERATIONAL_PATTERN)));
    return b;
  }

  /** {@code /var/log/knockd/audit.log} → {@code /var/log/knockd/audit-%i.log.gz}. */
  static String rolledPattern(Path auditLog) {
    String name = auditLog.getFileName().toString().replace("%", "%%");
    int dot = name.lastIndexOf('.');
    String rolled = dot > 0
        ? name.substring(0, dot) + "-%i" + name.substring(dot) + ".gz"
        : name + "-%i.gz";
    Path parent = auditLog.toAbsolutePath().getParent();
    return parent.resolve(rolled).toString();
  }

  /**
   * Creates the audit log's directory and the file (mode 0640) if missing, and checks it can be
   * appended to, so a bad path fails here with a clear message instead of inside Log4j.
   */
  private static void prepare(Path auditLog) throws IOException {
    try {
      Path dir = auditLog.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      if (!Files.exists(auditLog)) {
        Files.createFile(auditLog,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
      }
      try (OutputStream out = Files.newOutputStream(auditLog, StandardOpenOption.APPEND)) {
        out.flush();
      }
    } catch (AccessDeniedException e) {
      throw new IOException("cannot open audit log " + auditLog + ": permission denied", e);
    } catch (NoSuchFileException e) {
      throw new IOException("cannot open audit log " + auditLog + ": no such directory", e);
    } catch (FileSystemException e) {
      throw new IOException("cannot open audit log " + auditLog + ": "
          + (e.getReason() != null ? e.getReason() : e.getMessage()), e);
    }
  }
}
