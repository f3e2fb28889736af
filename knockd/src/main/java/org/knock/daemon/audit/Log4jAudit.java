package org.knock.daemon.audit;

import java.time.Clock;
import java.util.Objects;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The audit log through Log4j's {@value #LOGGER} logger, which {@link Logging#configure} sends to
 * its own file (text {@code TIME event=... k=v} lines, or ECS JSON). Times come from the injected
 * clock, in UTC with milliseconds. Thread-safe.
 */
public final class Log4jAudit implements Audit {
  /** The logger's name. */
  public static final String LOGGER = "audit";

  private final Logger logger = LogManager.getLogger(LOGGER);
  private final Clock clock;

  public Log4jAudit(Clock clock) {
    this.clock = Objects.requireNonNull(clock);
  }

  @Override
  public void record(AuditEvent event) {
    logger.info(new AuditMessage(clock.instant(), event));
  }
}
