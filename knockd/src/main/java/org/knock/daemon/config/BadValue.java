package org.knock.daemon.config;

/** A value that cannot be used; the message is one line, ready to follow {@code file:line: }. */
final class BadValue extends Exception {
  private static final long serialVersionUID = 1L;

  BadValue(String message) {
    super(message);
  }
}
