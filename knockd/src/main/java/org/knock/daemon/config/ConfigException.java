package org.knock.daemon.config;

import java.util.List;

/**
 * A configuration that cannot be used. Each problem is one line, {@code file:line: what is wrong}
 * (or {@code file: what is wrong} when no line applies). The parser reports every problem it finds,
 * in line order; {@link #getMessage()} joins them with newlines and {@link #problems()} lists them.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  ConfigException(List<String> problems) {
    super(String.join("\n", problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs a problem");
    }
    this.problems = List.copyOf(problems);
  }

  ConfigException(String problem) {
    this(List.of(problem));
  }

  /** The problems, one line each, in line order. */
  public List<String> problems() {
    return problems;
  }
}
