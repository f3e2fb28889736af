package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.DecoderSettings;
import org.knock.core.KnockKey;
import org.knock.daemon.KnockLines;
import org.knock.daemon.TestKeys;

/**
 * Issue 12 with the real {@code bin/knockd} reading standard input, Firewall = command (a script
 * that logs each call): a {@code DPT=0} line is skipped and the next knock opens; a re-grant runs
 * OpenCommand again with the new %SECONDS%; the end of standard input exits 0. With the audit log
 * on a 16 KiB tmpfs (in a private mount namespace, gone with its holder process): once the disk
 * is full no knock is granted without its record (one stderr line, reason=audit-unavailable, no
 * stack trace); once space is freed, a deleted audit file recreated, a path that could not be
 * opened usable again, the audit log recovers by itself and knocks are granted again.
 */
class RobustnessIT {
  private static final String CLIENT = "10.99.0.2";
  @TempDir Path dir;
  private final KnockKey key = KnockKey.generate(new SecureRandom());
  private final List<Process> started = new ArrayList<>();
  private KnockLines lines;

  /** The config; the firewall script appends "open|close IP PORT SECONDS" to commands.log. */
  private Path config(Path audit, String extra) throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    TestKeys.write(dir.resolve("alice.key"), key);
    Path fw = dir.resolve("fw.sh");
    Files.writeString(fw, "#!/bin/sh\necho \"$*\" >> \"" + dir.resolve("commands.log") + "\"\n");
    Files.setPosixFilePermissions(fw, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, String.join("\n",
        "[options]",
        "FirewallLog = -",
        "Firewall = command",
        "OpenCommand = " + fw + " open %IP% %PORT% %SECONDS%",
        "CloseCommand = " + fw + " close %IP% %PORT% %SECONDS%",
        "AuditLog = " + audit,
        "StateDir = " + dir.resolve("state"),
        "AllowRoot = yes",
        "[user alice]",
        "Key = alice.key",
        "Allow = open 22/tcp",
        extra));
    lines = new KnockLines(key, DecoderSettings.defaults());
    return conf;
  }

  private Process start(List<String> prefix, Path conf) throws Exception {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(List.of(KnockdProcess.script(), "--config", conf.toString()));
    Process p = new ProcessBuilder(cmd)
        .redirectOutput(dir.resolve("knockd.out").toFile())
        .redirectError(dir.resolve("knockd.err").toFile())
        .start();
    started.add(p);
    return p;
  }

  private String commands() throws Exception {
    Path f = dir.resolve("commands.log");
    return Files.exists(f) ? Files.readString(f) : "";
  }

  private String stderr() throws Exception {
    return Files.readString(dir.resolve("knockd.err"), StandardCharsets.UTF_8);
  }

  private static void send(Process p, String text) throws Exception {
    OutputStream in = p.getOutputStream();
    in.write(text.getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  private static void await(BooleanSupplier c, long millis, String what) throws Exception {
    long end = System.nanoTime() + millis * 1_000_000;
    while (!c.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited %d ms for %s", millis, what).isLessThan(end);
      Thread.sleep(50);
    }
  }

  private BooleanSupplier opened(String seconds) {
    return () -> {
      try {
        return commands().contains("open " + CLIENT + " 22 " + seconds + "\n");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    };
  }

  @Test
  void aDpt0LineIsSkippedTheNextKnockOpensAReGrantRunsOpenCommandAgainStdinEndExitsZero()
      throws Exception {
    Path audit = dir.resolve("audit.log");
    Path conf = config(audit, "[ssh]\nSequence = 7000,8000,9000\nStart_Command = "
        + dir.resolve("fw.sh") + " door %IP%\n");
    Netns.Result check = Netns.host(KnockdProcess.script(), "--check", "--config",
        conf.toString());
    assertThat(check.exit()).as(check.err()).isZero();
    try {
      Process p = start(List.of(), conf);
      await(() -> Files.exists(audit) && read(audit).contains("event=daemon-start"), 20_000,
          "daemon-start");
      send(p, lines.syn(0) + "\n" + lines.syn(7000).replace("DPT=7000", "DPT=0") + "\n");
      send(p, lines.knock("open 22 5m"));
      await(opened("300"), 10_000, "OpenCommand for 5m");
      send(p, lines.knock("open 22 10m"));
      await(opened("600"), 10_000, "OpenCommand again for 10m");
      assertThat(commands().lines().filter(l -> l.startsWith("open")))
          .containsExactly("open " + CLIENT + " 22 300", "open " + CLIENT + " 22 600");

      p.getOutputStream().close();
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(stderr()).isZero();
      String text = read(audit);
      assertThat(text).contains("event=daemon-stop reason=\"end of log\"")
          .doesNotContain("internal-error");
      assertThat(text.lines().filter(l -> l.contains("event=access-granted"))).hasSize(2);
      assertThat(stderr()).doesNotContain("Exception");
    } finally {
      Netns.killAll(started);
    }
  }

  @Test
  void onAFullDiskNoKnockIsGrantedWithoutItsRecordAndTheAuditLogRecoversByItself()
      throws Exception {
    Path logs = dir.resolve("logs");
    Files.createDirectories(logs);
    Path audit = logs.resolve("audit.log");
    Path conf = config(audit, "");
    Process holder = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sleep",
        "300").redirectErrorStream(true).start();
    started.add(holder);
    List<String> ns = List.of("nsenter", "-t", Long.toString(holder.pid()), "-m", "--");
    try {
      Thread.sleep(200);
      inNs(ns, true, "mount", "-t", "tmpfs", "-o", "size=16k,mode=0755", "knrob",
          logs.toString());
      Process p = start(ns, conf);
      await(() -> inNs(ns, false, "cat", audit.toString()).contains("event=daemon-start"),
          20_000, "daemon-start");
      send(p, lines.knock("open 22 1m"));
      await(opened("60"), 10_000, "the first grant");

      inNs(ns, false, "sh", "-c", "cat /dev/zero > \"$0\"", logs.resolve("fill").toString());
      // the audit file's last page may still hold a record or two: knock until one is refused
      String refusal = "refused, not recorded: event=knock-accepted";
      int minutes = 2;
      for (; minutes < 40 && !stderr().contains(refusal); minutes++) {
        send(p, lines.knock("open 22 " + minutes + "m"));
        int m = minutes;
        await(() -> {
          try {
            return opened(String.valueOf(m * 60)).getAsBoolean() || stderr().contains(refusal);
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        }, 10_000, "a grant or a refusal");
      }
      int refused = minutes - 1;
      assertThat(stderr()).as("a knock was refused").contains(refusal);
      Thread.sleep(500); // a wrongly granted knock would have run OpenCommand by now
      assertThat(commands()).as("no grant without its record")
          .doesNotContain(" 22 " + refused * 60 + "\n");
      List<String> unavailable = stderr().lines()
          .filter(l -> l.contains("reason=audit-unavailable")).toList();
      assertThat(unavailable).as(stderr()).anyMatch(l -> l.contains("reason=audit-unavailable "
          + "(No space left on device): " + refusal + " user=alice src=" + CLIENT + " grant="
          + CLIENT + " command=\"open 22/tcp " + refused + "m\""));
      assertThat(unavailable).as("one line per failure").allMatch(l -> l.contains(
          "reason=audit-unavailable (No space left on device): "));
      assertThat(stderr()).doesNotContain("Exception").doesNotContain("\tat ");
      everyGrantHasItsRecord(ns, audit);

      inNs(ns, true, "rm", logs.resolve("fill").toString());
      send(p, lines.knock("open 22 50m"));
      await(opened("3000"), 10_000, "a grant once space is free");
      assertThat(inNs(ns, false, "cat", audit.toString()))
          .contains("command=\"open 22/tcp 50m\"");

      // deleted under the open stream: recreated at the next record
      inNs(ns, true, "rm", audit.toString());
      send(p, lines.knock("open 22 51m"));
      await(opened("3060"), 10_000, "a grant after the audit file was deleted");
      assertThat(inNs(ns, false, "cat", audit.toString()))
          .contains("command=\"open 22/tcp 51m\"");

      // deleted and replaced by something that cannot be opened: refused until it can be
      inNs(ns, true, "rm", audit.toString());
      inNs(ns, true, "mkdir", audit.toString());
      int before = unavailable.size();
      send(p, lines.knock("open 22 52m"));
      await(() -> {
        try {
          return stderr().lines().filter(l -> l.contains("reason=audit-unavailable")).count()
              > before;
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }, 10_000, "a refusal while the audit log cannot be opened");
      Thread.sleep(500);
      assertThat(commands()).doesNotContain(" 22 3120\n");
      assertThat(stderr().lines().filter(l -> l.contains("reason=audit-unavailable")).toList())
          .last().asString().contains("reason=audit-unavailable (cannot open audit log " + audit
              + ": Is a directory): refused, not recorded: event=knock-accepted")
          .contains("command=\"open 22/tcp 52m\"");
      inNs(ns, true, "rmdir", audit.toString());
      Thread.sleep(1100); // the next attempt to reopen the audit log
      send(p, lines.knock("open 22 53m"));
      await(opened("3180"), 10_000, "a grant once the audit log can be opened");
      assertThat(inNs(ns, false, "cat", audit.toString()))
          .contains("command=\"open 22/tcp 53m\"").doesNotContain("52m");
      assertThat(p.isAlive()).isTrue();
    } finally {
      Netns.killAll(started);
    }
  }

  /** Each OpenCommand so far has its knock-accepted record, and no line is torn. */
  private void everyGrantHasItsRecord(List<String> ns, Path audit) throws Exception {
    String text = inNs(ns, false, "cat", audit.toString());
    for (String line : text.lines().toList()) {
      assertThat(line).as("no torn line").matches("\\S+ event=\\S+.*");
    }
    for (String open : commands().lines().filter(l -> l.startsWith("open")).toList()) {
      long seconds = Long.parseLong(open.substring(open.lastIndexOf(' ') + 1));
      String recorded = "command=\"open 22/tcp " + (seconds / 60) + "m\"";
      assertThat(text).as("the grant of %s has its record", open).contains(recorded);
    }
  }

  private static String read(Path f) {
    try {
      return Files.readString(f, StandardCharsets.UTF_8);
    } catch (Exception e) {
      return "";
    }
  }

  private static String inNs(List<String> ns, boolean mustSucceed, String... cmd) {
    List<String> all = new ArrayList<>(ns);
    all.addAll(List.of(cmd));
    Netns.Result r = Netns.run(all, 30);
    if (mustSucceed) {
      r.ok();
    }
    return r.out();
  }
}
