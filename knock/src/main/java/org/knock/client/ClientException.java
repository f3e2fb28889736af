package org.knock.client;

/**
 * A failure the client reports as one line ({@code knock: MESSAGE}) and an exit code; never shown
 * as a stack trace.
 */
final class ClientException extends Exception {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  ClientException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  static ClientException usage(String message) {
    return new ClientException(ExitCodes.USAGE, message);
  }

  int exitCode() {
    return exitCode;
  }
}
