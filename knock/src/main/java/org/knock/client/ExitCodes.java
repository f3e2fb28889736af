package org.knock.client;

/** The client's exit codes, as documented in {@code knock --help}. */
final class ExitCodes {
  static final int OK = 0;
  /** Standard output could not be written, or an unexpected internal error. */
  static final int OUTPUT_OR_INTERNAL = 1;
  static final int USAGE = 2;
  static final int DOOR_CLOSED = 3;
  static final int KEY = 4;
  static final int NETWORK = 5;

  private ExitCodes() {}
}
