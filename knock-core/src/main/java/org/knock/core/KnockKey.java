package org.knock.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.random.RandomGenerator;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * One user's secret: 256 random bits, from which separate 256-bit encryption and MAC keys are
 * derived with HKDF-SHA256. {@link #toString()} never shows key material.
 */
public final class KnockKey {
  /** Size of the secret in bytes. */
  public static final int SIZE = 32;
  private static final byte[] SALT = "knock-v1".getBytes(StandardCharsets.US_ASCII);

  private final byte[] secret;
  private final byte[] encKey;
  private final byte[] macKey;

  private KnockKey(byte[] secret) {
    if (secret.length != SIZE) {
      throw new IllegalArgumentException("a key is " + SIZE + " bytes");
    }
    this.secret = secret.clone();
    this.encKey = hkdf(secret, "knock enc");
    this.macKey = hkdf(secret, "knock mac");
  }

  /** A key from its 32 secret bytes. */
  public static KnockKey of(byte[] secret) {
    return new KnockKey(secret);
  }

  /** A new random key. */
  public static KnockKey generate(RandomGenerator random) {
    byte[] s = new byte[SIZE];
    random.nextBytes(s);
    return new KnockKey(s);
  }

  /** Argon2id cost of a passphrase: 12 passes over 64 MiB, one lane (docs/SECURITY.md). */
  static final int ARGON2_ITERATIONS = 12;
  static final int ARGON2_MEMORY_KIB = 64 * 1024;
  /** Shortest passphrase accepted. */
  public static final int MIN_PASSPHRASE = 12;

  /**
   * The key from a passphrase, stretched with Argon2id (12 passes, 64 MiB, 1 lane) under a salt
   * made of the user's name and the server address the key is for: one guess tests one
   * passphrase for one user of one server, and no table serves two deployments. Client and
   * daemon derive the same key from the same three inputs.
   *
   * @throws KnockException if the passphrase is shorter than {@link #MIN_PASSPHRASE} characters
   */
  public static KnockKey fromPassphrase(char[] passphrase, String user, ServerBinding server)
      throws KnockException {
    if (passphrase.length < MIN_PASSPHRASE) {
      throw new KnockException("passphrase too short: use at least " + MIN_PASSPHRASE
          + " characters");
    }
    byte[] salt = passphraseSalt(user, server);
    org.bouncycastle.crypto.generators.Argon2BytesGenerator g =
        new org.bouncycastle.crypto.generators.Argon2BytesGenerator();
    g.init(new org.bouncycastle.crypto.params.Argon2Parameters.Builder(
        org.bouncycastle.crypto.params.Argon2Parameters.ARGON2_id)
        .withVersion(org.bouncycastle.crypto.params.Argon2Parameters.ARGON2_VERSION_13)
        .withIterations(ARGON2_ITERATIONS).withMemoryAsKB(ARGON2_MEMORY_KIB)
        .withParallelism(1).withSalt(salt).build());
    byte[] out = new byte[SIZE];
    try {
      g.generateBytes(passphrase, out);
      return new KnockKey(out);
    } finally {
      Arrays.fill(out, (byte) 0);
    }
  }

  /** SHA-256("knock-v2 passphrase" | 0 | user (UTF-8) | 0 | server address (16 bytes)). */
  static byte[] passphraseSalt(String user, ServerBinding server) {
    java.security.MessageDigest d;
    try {
      d = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
    d.update("knock-v2 passphrase".getBytes(StandardCharsets.US_ASCII));
    d.update((byte) 0);
    d.update(user.getBytes(StandardCharsets.UTF_8));
    d.update((byte) 0);
    d.update(server.bytes());
    return d.digest();
  }

  /**
   * Reads the text of a key file: one line of base64 (44 characters) holding 32 bytes; blank lines
   * and lines starting with '#' are ignored.
   *
   * @throws KnockException naming the problem, without echoing the content
   */
  public static KnockKey parse(String keyFileText) throws KnockException {
    String found = null;
    for (String line : keyFileText.split("\n", -1)) {
      String l = line.trim();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      if (found != null) {
        throw new KnockException("key file has more than one key line");
      }
      found = l;
    }
    if (found == null) {
      throw new KnockException("key file holds no key");
    }
    byte[] b;
    try {
      b = Base64.getDecoder().decode(found);
    } catch (IllegalArgumentException e) {
      throw new KnockException("key file is not base64");
    }
    if (b.length != SIZE) {
      throw new KnockException("key must be " + SIZE + " bytes (" + SIZE * 8 + " bits), not "
          + b.length);
    }
    return new KnockKey(b);
  }

  /** The secret as base64, for a key file. */
  public String toBase64() {
    return Base64.getEncoder().encodeToString(secret);
  }

  byte[] encKey() {
    return encKey;
  }

  byte[] macKey() {
    return macKey;
  }

  private static byte[] hkdf(byte[] ikm, String info) {
    HKDFBytesGenerator g = new HKDFBytesGenerator(new SHA256Digest());
    g.init(new HKDFParameters(ikm, SALT, info.getBytes(StandardCharsets.US_ASCII)));
    byte[] out = new byte[32];
    g.generateBytes(out, 0, out.length);
    return out;
  }

  @Override
  public String toString() {
    return "KnockKey[hidden]";
  }
}
