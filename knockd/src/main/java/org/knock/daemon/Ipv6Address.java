package org.knock.daemon;

import java.nio.ByteBuffer;

/**
 * An IPv6 address as two longs: a map key that allocates no array and compares by value.
 *
 * @param hi the first 8 bytes (the /64)
 * @param lo the last 8 bytes
 */
record Ipv6Address(long hi, long lo) {
  /** The address of 16 bytes. */
  static Ipv6Address of(byte[] b) {
    ByteBuffer w = ByteBuffer.wrap(b);
    return new Ipv6Address(w.getLong(0), w.getLong(8));
  }

  /** Its 16 bytes. */
  byte[] bytes() {
    return ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
  }
}
