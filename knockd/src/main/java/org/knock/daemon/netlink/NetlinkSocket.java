package org.knock.daemon.netlink;

import java.nio.ByteBuffer;

/** A NETLINK_NETFILTER socket: what {@link SetElementWriter} needs of it. Not thread-safe. */
interface NetlinkSocket {
  /** Sends {@code bytes} in one send(); the count sent, or -1. */
  long send(byte[] bytes);

  /**
   * One recv() with MSG_DONTWAIT into {@code into} (from position 0): the count received, or -1
   * when nothing is queued (or on an error).
   */
  long receive(ByteBuffer into);

  void close();
}
