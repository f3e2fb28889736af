package org.knock.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.knock.core.KnockKey;

/** Runs the client in-process with a private KNOCK_HOME and captures what it prints. */
final class ClientRun {
  final Path home;
  final Map<String, String> env = new HashMap<>();
  int exit;
  String out;
  String err;

  ClientRun(Path home) {
    this.home = home;
    env.put("KNOCK_HOME", home.toString());
    env.put("HOME", home.toString());
    env.put("USER", "tester");
  }

  /** Writes a fresh key to KNOCK_HOME/key with mode 0600 and returns it. */
  KnockKey writeKey() throws IOException {
    KnockKey key = KnockKey.generate(new java.util.Random(42));
    Path f = home.resolve("key");
    Files.deleteIfExists(f);
    Files.createFile(f, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    Files.writeString(f, key.toBase64() + "\n");
    return key;
  }

  ClientRun run(String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    PrintStream po = new PrintStream(o, true, StandardCharsets.UTF_8);
    PrintStream pe = new PrintStream(e, true, StandardCharsets.UTF_8);
    exit = Main.run(args, po, pe, env);
    out = o.toString(StandardCharsets.UTF_8);
    err = e.toString(StandardCharsets.UTF_8);
    return this;
  }

  /** Runs with standard output going to {@code stdout} as it is (e.g. /dev/full); out is "". */
  ClientRun runTo(OutputStream stdout, String... args) {
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    PrintStream pe = new PrintStream(e, true, StandardCharsets.UTF_8);
    exit = new Main(stdout, pe, env, Clock.systemUTC(), false).run(args);
    out = "";
    err = e.toString(StandardCharsets.UTF_8);
    return this;
  }
}
