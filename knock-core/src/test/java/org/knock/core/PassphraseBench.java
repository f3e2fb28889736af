package org.knock.core;

import java.util.Arrays;
import org.bouncycastle.crypto.generators.SCrypt;

/**
 * What a passphrase costs (bench/passphrase.sh): {@link KnockKey#fromPassphrase}'s Argon2id
 * (12 passes, 64 MiB) per derivation, cold (the client's one derivation per run) and warm (an
 * attacker's guess loop on the JVM), next to the scrypt N=2^15 the first version used under a fixed
 * salt. Prints one line per figure.
 */
final class PassphraseBench {
  private PassphraseBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    char[] pass = "correct horse battery staple".toCharArray();
    ServerBinding server = ServerBinding.ipv4(0xCB007105);
    long[] argon = new long[rounds];
    for (int i = 0; i < rounds; i++) {
      long t0 = System.nanoTime();
      KnockKey.fromPassphrase(pass, "alice", server);
      argon[i] = System.nanoTime() - t0;
    }
    long[] scrypt = new long[rounds];
    byte[] pw = new String(pass).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int i = 0; i < rounds; i++) {
      long t0 = System.nanoTime();
      SCrypt.generate(pw, "knock-v1 passphrase".getBytes(), 1 << 15, 8, 1, 32);
      scrypt[i] = System.nanoTime() - t0;
    }
    System.out.printf("Argon2id t=12 m=64MiB p=1 (knock protocol 2): first %d ms (cold, as the "
        + "client pays it), then median %d ms, min %d ms over %d warm derivations%n",
        argon[0] / 1_000_000, median(argon) / 1_000_000, min(argon) / 1_000_000, rounds - 1);
    System.out.printf("scrypt N=2^15 r=8 p=1 (version 1's passphrase, fixed salt): median %d ms, "
        + "min %d ms%n", median(scrypt) / 1_000_000, min(scrypt) / 1_000_000);
  }

  private static long median(long[] all) {
    long[] warm = Arrays.copyOfRange(all, 1, all.length);
    Arrays.sort(warm);
    return warm[warm.length / 2];
  }

  private static long min(long[] all) {
    return Arrays.stream(all, 1, all.length).min().orElse(0);
  }
}
