package org.knock.daemon.netlink;

/** A netlink request that did not certainly succeed; the message is one line. */
public final class NetlinkException extends Exception {
  private static final long serialVersionUID = 1L;

  public NetlinkException(String message) {
    super(message);
  }
}
