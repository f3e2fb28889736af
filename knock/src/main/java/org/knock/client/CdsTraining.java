package org.knock.client;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs the client's real paths once, touching neither the user's files nor any host but this
 * one, so that {@code bin/knock} can record the classes (and on JDK 24+ the linked classes and
 * profiles) they use in a class-data-sharing archive or AOT cache: in a temporary KNOCK_HOME it
 * reads an rc file, generates a key, prints a knock, sends one to 127.0.0.1 (20 SYNs on
 * loopback), and sends one with {@code --wait} for a port it listens on itself on 127.0.0.1.
 * Exits 0 only if all of that worked.
 */
public final class CdsTraining {
  private CdsTraining() {}

  public static void main(String[] args) throws IOException {
    Main.forThisProcess(args); // what main does before it runs a command line
    Path home = Files.createTempDirectory("knock-cds");
    try (ServerSocket door = new ServerSocket()) {
      door.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      Files.writeString(home.resolve("knockrc"),
          "[default]\ncipher = twofish\n\n[127.0.0.1]\nmapping indexed\n", StandardCharsets.UTF_8);
      Map<String, String> env = new HashMap<>();
      env.put("KNOCK_HOME", home.toString());
      PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), false,
          StandardCharsets.UTF_8);
      int keygen = Main.run(new String[] {"keygen", "--user", "cds"}, sink, sink, env);
      int print = Main.run(new String[] {"-v", "--print", "127.0.0.1", "open 22 30m"}, sink, sink,
          env);
      int send = Main.run(new String[] {"127.0.0.1", "open 22 30m"}, sink, sink, env);
      int wait = Main.run(new String[] {"--wait", "3", "127.0.0.1",
          "open " + door.getLocalPort() + " 1m"}, sink, sink, env);
      System.exit(keygen == 0 && print == 0 && send == 0 && wait == 0 ? 0 : 1);
    } finally {
      Files.deleteIfExists(home.resolve("knockrc"));
      Files.deleteIfExists(home.resolve("key"));
      Files.deleteIfExists(home);
    }
  }
}
