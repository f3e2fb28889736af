package org.knock.daemon.config;

import java.util.Locale;

/** The audit log's line format: {@code text} (key=value) or {@code json} (ECS). */
public enum AuditFormat {
  TEXT,
  JSON;

  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
