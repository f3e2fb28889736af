package org.knock.client;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs the client's start path once without touching the network or the user's files, so that
 * {@code bin/knock} can record the classes it loads in a class-data-sharing archive
 * ({@code -XX:ArchiveClassesAtExit}). In a temporary KNOCK_HOME it reads an rc file, generates a
 * key, and prints an {@code open} knock toward 127.0.0.1. Exits 0 only if all of that worked.
 */
public final class CdsTraining {
  private CdsTraining() {}

  public static void main(String[] args) throws IOException {
    Path home = Files.createTempDirectory("knock-cds");
    try {
      Files.writeString(home.resolve("knockrc"),
          "[default]\ncipher = twofish\n\n[127.0.0.1]\nmapping indexed\n", StandardCharsets.UTF_8);
      Map<String, String> env = new HashMap<>();
      env.put("KNOCK_HOME", home.toString());
      PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), false,
          StandardCharsets.UTF_8);
      int keygen = Main.run(new String[] {"keygen", "--user", "cds"}, sink, sink, env);
      int print = Main.run(new String[] {"-v", "--print", "127.0.0.1", "open 22 30m"}, sink, sink,
          env);
      System.exit(keygen == 0 && print == 0 ? 0 : 1);
    } finally {
      Files.deleteIfExists(home.resolve("knockrc"));
      Files.deleteIfExists(home.resolve("key"));
      Files.deleteIfExists(home);
    }
  }
}
