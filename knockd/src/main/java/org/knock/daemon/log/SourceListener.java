package org.knock.daemon.log;

/**
 * Told about trouble with a {@link LineSource}, for the audit log. Called on the source's thread;
 * implementations must not block for long.
 */
public interface SourceListener {
  /** The source stopped delivering, e.g. file deleted or unreadable, journalctl died. */
  void lost(String source, String reason);

  /** The source delivers again after {@link #lost}. */
  void recovered(String source);

  /** Lines were lost by the kernel ring buffer overrunning; count -1 when unknown. */
  void overrun(String source, long linesLost);
}
