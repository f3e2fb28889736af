package org.knock.core;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The external port of a knock that asks for a random service port (docs/PROTOCOL.md §10): the
 * client and knockd both compute it from the user's key and the knock's timestamp and nonce; it is
 * never sent. {@code port = start + (draw mod size)}, where {@code draw} is
 * HMAC-SHA256(macKey, "kn random" | timestamp (u32, big-endian) | nonce (u24, big-endian))[0..4)
 * read as an unsigned big-endian 32-bit number. Pure functions; thread-safe.
 */
public final class RandomPort {
  private static final byte[] LABEL = {'k', 'n', ' ', 'r', 'a', 'n', 'd', 'o', 'm'};

  private RandomPort() {}

  /** The 32-bit draw of a knock, 0 to 2^32-1. */
  public static long draw(KnockKey key, long timestamp, int nonce) {
    HMac mac = new HMac(new SHA256Digest());
    mac.init(new KeyParameter(key.macKey()));
    mac.update(LABEL, 0, LABEL.length);
    byte[] tn = {(byte) (timestamp >>> 24), (byte) (timestamp >>> 16), (byte) (timestamp >>> 8),
        (byte) timestamp, (byte) (nonce >>> 16), (byte) (nonce >>> 8), (byte) nonce};
    mac.update(tn, 0, tn.length);
    byte[] out = new byte[32];
    mac.doFinal(out, 0);
    return Payload.getInt(out, 0) & 0xFFFFFFFFL;
  }

  /**
   * The port a draw picks in {@code start-end} (inclusive).
   *
   * @throws IllegalArgumentException unless 1 &lt;= start &lt;= end &lt;= 65535
   */
  public static int port(long draw, int start, int end) {
    if (start < 1 || end > 65535 || end < start) {
      throw new IllegalArgumentException("bad port range " + start + "-" + end);
    }
    return start + (int) (draw % (end - start + 1));
  }

  /** The external port of a knock made with {@code key} at {@code timestamp} with {@code nonce}. */
  public static int of(KnockKey key, long timestamp, int nonce, int start, int end) {
    return port(draw(key, timestamp, nonce), start, end);
  }
}
