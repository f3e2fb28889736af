package org.knock.daemon.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import org.knock.core.Payload;
import org.knock.daemon.exec.CommandTemplate;

/**
 * An {@code [action NAME]} section: a program a user may have knockd run ({@code run NAME}).
 *
 * @param name the action's name, as in {@code run NAME}
 * @param id the 16-bit id a knock carries for it ({@link Payload#actionId}); unique in a config
 * @param command the program and arguments; placeholders %IP% and %USER%
 * @param timeout how long it may run before it is killed
 */
public record ActionConfig(String name, int id, CommandTemplate command, Duration timeout) {
  /** Placeholders an action's Command accepts. */
  public static final Set<String> PLACEHOLDERS = Set.of("%IP%", "%USER%");
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  public ActionConfig {
    Objects.requireNonNull(name);
    Objects.requireNonNull(command);
    Objects.requireNonNull(timeout);
    if (id != Payload.actionId(name)) {
      throw new IllegalArgumentException("id must be Payload.actionId(name)");
    }
  }
}
