package org.knock.daemon.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A class of end-to-end scenarios that share one {@link Lab}: the subclass opens it in its own
 * {@code @BeforeAll}; it is always closed after the class (namespaces deleted, the processes it
 * started stopped by PID), after the subclass's own {@code @AfterAll}. Each scenario is timed, and
 * a failed one prints the audit of the knockd it ran last ({@link #current}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ScenarioTimer.class)
@Timeout(90)
abstract class LabScenarios implements ScenarioTimer.Diagnosis {
  /** The lab of the class; set by the subclass's {@code @BeforeAll}. */
  Lab lab;
  /** The knockd of the running scenario, for its diagnosis. */
  Knockd current;

  @AfterAll
  final void closeLab() {
    if (lab != null) {
      lab.close();
    }
  }

  @Override
  public String diagnosis() {
    return Knockd.diagnosis(current);
  }
}
