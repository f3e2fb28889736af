package org.knock.daemon.it;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Prints how long each scenario (test method) of an end-to-end class took, as it ends, and a
 * summary with the class's setup and total time when the class is done: the suite's time budget
 * is watched, not guessed. When a scenario fails and the test class is a {@link Diagnosis}, its
 * diagnosis (e.g. the audit log of the scenario) is printed too.
 */
final class ScenarioTimer implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback,
    AfterAllCallback {
  /** A test class that can say what happened in a failed scenario. */
  interface Diagnosis {
    String diagnosis();
  }

  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(ScenarioTimer.class);

  @Override
  public void beforeAll(ExtensionContext c) {
    c.getStore(NS).put("classStart", System.nanoTime());
    c.getStore(NS).put("lines", new ArrayList<String>());
  }

  @Override
  public void beforeEach(ExtensionContext c) {
    c.getStore(NS).put("start", System.nanoTime());
  }

  @Override
  public void afterEach(ExtensionContext c) {
    long ms = (System.nanoTime() - c.getStore(NS).get("start", Long.class)) / 1_000_000;
    String line = String.format("%7d ms  %s%s", ms, c.getDisplayName(),
        c.getExecutionException().isPresent() ? "  FAILED" : "");
    System.out.println("[e2e] " + line.strip());
    lines(c).add(line);
    if (c.getExecutionException().isPresent() && c.getTestInstance().orElse(null)
        instanceof Diagnosis d) {
      System.out.println("[e2e] diagnosis of the failed scenario: " + d.diagnosis());
    }
  }

  @Override
  public void afterAll(ExtensionContext c) {
    long total = (System.nanoTime() - c.getStore(NS).get("classStart", Long.class)) / 1_000_000;
    StringBuilder b = new StringBuilder("[e2e] ").append(c.getDisplayName())
        .append(": scenario times\n");
    for (String l : lines(c)) {
      b.append("[e2e] ").append(l).append('\n');
    }
    b.append(String.format("[e2e] %7d ms  total, with setup and cleanup%n", total));
    System.out.print(b);
  }

  /** The class's list: a store lookup falls back to the enclosing contexts' stores. */
  @SuppressWarnings("unchecked")
  private static List<String> lines(ExtensionContext c) {
    return (List<String>) c.getStore(NS).get("lines", List.class);
  }
}
