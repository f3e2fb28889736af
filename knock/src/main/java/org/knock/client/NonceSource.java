package org.knock.client;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.util.random.RandomGenerator;

/**
 * The client's randomness for knock nonces: bytes read straight from /dev/urandom (the kernel's
 * CSPRNG, which the JDK's default {@code SecureRandom} also reads on Linux), without the JCA
 * provider lookup and seeding that {@code new SecureRandom()} costs at start-up (~10 ms). Where
 * the device cannot be read, it falls back to {@link SecureRandom} for good. Not thread-safe.
 */
final class NonceSource implements RandomGenerator {
  static final String DEVICE = "/dev/urandom";
  private final String device;
  private final byte[] buf = new byte[8];
  private RandomGenerator fallback;

  NonceSource() {
    this(DEVICE);
  }

  /** Reads {@code device} instead of /dev/urandom (for tests). */
  NonceSource(String device) {
    this.device = device;
  }

  /** True once the device failed and {@link SecureRandom} serves instead. */
  boolean fellBack() {
    return fallback != null;
  }

  @Override
  public long nextLong() {
    if (fallback == null) {
      try (InputStream in = new FileInputStream(device)) {
        int n = 0;
        while (n < buf.length) {
          int r = in.read(buf, n, buf.length - n);
          if (r < 0) {
            throw new IOException("end of " + device);
          }
          n += r;
        }
        long v = 0;
        for (byte b : buf) {
          v = (v << 8) | (b & 0xFF);
        }
        return v;
      } catch (IOException e) {
        fallback = new SecureRandom();
      }
    }
    return fallback.nextLong();
  }
}
