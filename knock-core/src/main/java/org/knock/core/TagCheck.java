package org.knock.core;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Checks the 32-bit tag of a knock message for one key — the same tag {@link Sealer} computes,
 * HMAC-SHA256(macKey, "kn" | version | suite [| server] | C)[0..4) — faster, for a daemon that tries every
 * user's key on every candidate message. The HMAC's inner and outer SHA-256 states after the key
 * block are computed once; a check clones them and hashes one block each, with the JDK's SHA-256
 * (which uses the CPU's SHA instructions where it has them). Constant time in the tag. Not
 * thread-safe: one per thread.
 */
final class TagCheck {
  private static final int BLOCK = 64;
  private final MessageDigest inner;
  private final MessageDigest outer;
  private final byte[] prefix;
  private final CipherSuite suite;
  private ServerBinding lastServer;
  private byte[] lastPrefix;
  private final byte[] hash = new byte[32];

  TagCheck(KnockKey key, CipherSuite suite) {
    byte[] k = key.macKey(); // 32 bytes: shorter than a block, so zero-padded, never hashed
    byte[] ipad = new byte[BLOCK];
    byte[] opad = new byte[BLOCK];
    for (int i = 0; i < BLOCK; i++) {
      byte b = i < k.length ? k[i] : 0;
      ipad[i] = (byte) (b ^ 0x36);
      opad[i] = (byte) (b ^ 0x5c);
    }
    inner = sha256();
    inner.update(ipad);
    outer = sha256();
    outer.update(opad);
    prefix = Sealer.tagPrefix(suite, null);
    this.suite = suite;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  /** True if the message (20 or 36 bytes) carries this key's version-1 tag. */
  boolean verify(byte[] message) {
    return verify(message, prefix);
  }

  /**
   * True if the message (20 or 36 bytes) carries this key's version-2 tag bound to {@code server}.
   */
  boolean verify(byte[] message, ServerBinding server) {
    if (server != lastServer) {
      lastPrefix = Sealer.tagPrefix(suite, server);
      lastServer = server;
    }
    return verify(message, lastPrefix);
  }

  private boolean verify(byte[] message, byte[] prefix) {
    if (message.length != Sealer.MESSAGE_SIZE && message.length != Sealer.LONG_MESSAGE_SIZE) {
      return false;
    }
    int n = message.length - Sealer.TAG_SIZE;
    try {
      MessageDigest in = (MessageDigest) inner.clone();
      in.update(prefix);
      in.update(message, 0, n);
      in.digest(hash, 0, hash.length);
      MessageDigest out = (MessageDigest) outer.clone();
      out.update(hash);
      out.digest(hash, 0, hash.length);
    } catch (CloneNotSupportedException | java.security.DigestException e) {
      throw new AssertionError("the JDK's SHA-256 is cloneable", e);
    }
    int diff = 0;
    for (int i = 0; i < Sealer.TAG_SIZE; i++) {
      diff |= hash[i] ^ message[n + i];
    }
    return diff == 0;
  }
}
