package org.knock.core;

/**
 * How many candidate messages one sequence may check right now. Each message is checked against
 * every user's key, so a daemon with a budget of tag checks per second counts a message as that
 * many checks. {@link #UNLIMITED} lets everything through (tests, the client's self-check).
 */
public interface CheckAllowance {
  /** Lets everything through. */
  CheckAllowance UNLIMITED = () -> true;

  /** Takes one message check from the allowance; false (and nothing taken) when none is left. */
  boolean take();
}
