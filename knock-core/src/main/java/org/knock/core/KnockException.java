package org.knock.core;

/**
 * The one exception type of knock-core. Its message is a single line meant for a person: it names
 * what was wrong ("open: port 99999 is out of range 1-65535") and never carries a stack trace to
 * the user.
 */
public final class KnockException extends Exception {
  private static final long serialVersionUID = 1L;

  public KnockException(String message) {
    super(message);
  }

  public KnockException(String message, Throwable cause) {
    super(message, cause);
  }
}
