package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.knock.core.KnockKey;

/**
 * The real {@code bin/knockd} in a server namespace, {@code bin/knock} in a client namespace
 * (root; subnets 10.206.x.0/24, LOG prefix KNHRD…): knockd runs as a throwaway system user with
 * CAP_NET_ADMIN alone and opens the port; it refuses root unless AllowRoot says yes; a user
 * removed from the config is revoked by SIGHUP while another user still works, and no key ever
 * reaches the audit log or the output; a knock whose replay state cannot be stored (full disk) is
 * refused, and the replay state survives kill -9 with access left open; a knock's record, written
 * before its grant and synced alongside it, survives a kill -9 right after the grant on a disk.
 */
@ResourceLock(HostResources.SYSTEM_USERS)
class HardeningIT {
  private static final SecureRandom RANDOM = new SecureRandom();
  @TempDir Path dir;

  private static String hex() {
    byte[] b = new byte[3];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private Path key(String name) throws Exception {
    Path k = dir.resolve(name + ".key");
    Files.createFile(k, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    Files.writeString(k, KnockKey.generate(RANDOM).toBase64() + "\n");
    return k;
  }

  private static String base64(Path key) throws Exception {
    return Files.readString(key).strip();
  }

  /** bin/knock in the client namespace. */
  private Netns.Result knock(NetnsPair pair, String... args) {
    List<String> cmd = new ArrayList<>(List.of("env", "KNOCK_HOME=" + dir.resolve("home"),
        ClientKnockIT.knockScript()));
    cmd.addAll(List.of(args));
    return pair.client.exec(cmd.toArray(new String[0]));
  }

  /** The ports of an encrypted knock, without sending it. */
  private List<String> printKnock(NetnsPair pair, Path key, String command) {
    return knock(pair, "-k", key.toString(), "--print", pair.serverIp, command).ok().out()
        .lines().toList();
  }

  /** Sends (or re-sends) a knock's ports as plain SYNs, one per port. */
  private void send(NetnsPair pair, List<String> ports) {
    List<String> args = new ArrayList<>(List.of(pair.serverIp));
    args.addAll(ports);
    knock(pair, args.toArray(new String[0])).ok();
  }

  private static String options(String prefix, String log, Path audit, Path state) {
    return String.join("\n",
        "[options]",
        "FirewallLog = " + log,
        "Firewall = nftables",
        "Protect = 22/tcp",
        "LogPrefix = \"" + prefix + " \"",
        "AuditLog = " + audit,
        "StateDir = " + state,
        "SequenceTimeout = 2s",
        "OnExit = remove", // the first test checks that an unprivileged knockd can remove it
        "");
  }

  @Test
  void runsAsADedicatedUserWithNetAdminAloneRefusesRootAndOpensThePort() throws Exception {
    String user = "knhrd" + hex();
    String prefix = "KNHRD" + hex() + ":";
    Netns.host("useradd", "--system", "--user-group", "--no-create-home", "--shell",
        "/usr/sbin/nologin", user).ok();
    try (NetnsPair pair = new NetnsPair("hp", "10.206.1");
        KnockdProcess knockd = new KnockdProcess(dir, dir.resolve("logs/audit.log"))) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path key = key("alice"); // root's until the root check below is done
      Files.createDirectories(dir.resolve("logs"));
      Files.createDirectories(dir.resolve("state"));
      Netns.host("chown", user + ":" + user, dir.resolve("logs").toString(),
          dir.resolve("state").toString()).ok();
      // the kernel log as rsyslog would write it: root's file, readable by the knockd group
      Path kernLog = dir.resolve("kern.log");
      Files.writeString(kernLog, "");
      Netns.host("chown", "root:" + user, kernLog.toString()).ok();
      Files.setPosixFilePermissions(kernLog, PosixFilePermissions.fromString("rw-r-----"));
      pair.server.start(List.of("sh", "-c",
          "exec dmesg -w | grep --line-buffered -F \"$0\" >> \"$1\"", prefix, kernLog.toString()),
          dir.resolve("dmesg.out"), dir.resolve("dmesg.err"));
      Path conf = dir.resolve("knockd.conf");
      Files.writeString(conf, options(prefix, kernLog.toString(), dir.resolve("logs/audit.log"),
          dir.resolve("state")) + "[user alice]\nKey = " + key + "\nAllow = open 22/tcp\n");
      Netns.host("chown", "root:" + user, conf.toString()).ok();
      Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r-----"));

      // root without AllowRoot = yes: refused before anything is installed
      Netns.Result asRoot = pair.server.exec(KnockdProcess.script(), "--config", conf.toString());
      assertThat(asRoot.exit()).isEqualTo(1);
      assertThat(KnockdProcess.ownErr(asRoot.err())).startsWith("knockd: refusing to run as root (AllowRoot = no)");
      assertThat(pair.server.exec("nft", "list", "table", "inet", "knockd").exit()).isNotZero();

      // knockd takes a key owned by root or by its own user (a root knockd would refuse this one)
      Netns.host("chown", user + ":" + user, key.toString()).ok();
      Process p = knockd.start(List.of("ip", "netns", "exec", pair.server.name(), "setpriv",
          "--reuid=" + user, "--regid=" + user, "--init-groups", "--inh-caps=+net_admin",
          "--ambient-caps=+net_admin", "--bounding-set=-all,+net_admin"), conf);
      String status = Files.readString(Path.of("/proc", Long.toString(p.pid()), "status"));
      String uid = Netns.host("id", "-u", user).ok().out().strip();
      assertThat(status).containsPattern("(?m)^Uid:\\s+" + uid + "\\s+" + uid + "\\s");
      assertThat(status).containsPattern("(?m)^CapEff:\\s+0000000000001000$"); // net_admin only
      assertThat(status).containsPattern("(?m)^CapBnd:\\s+0000000000001000$");
      pair.server.exec("nft", "list", "table", "inet", "knockd").ok();

      // no listening or packet socket of its own, no libpcap
      String sockets = pair.server.exec("ss", "-H", "-a", "-p", "-t", "-u", "-w", "-0").ok().out();
      assertThat(sockets).doesNotContain("pid=" + p.pid() + ",");
      assertThat(Files.readString(Path.of("/proc", Long.toString(p.pid()), "maps")))
          .doesNotContain("libpcap");

      Probes.listen(pair.server, 22, dir);
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "0.5")).isFalse();
      knock(pair, "-k", key.toString(), pair.serverIp, "open 22 1m").ok();
      assertThat(Probes.until(true, pair.client, pair.serverIp, 22, 5000))
          .as("port 22 opened; audit:%n%s%nout:%n%s", knockd.auditText(), knockd.output())
          .isNotNegative();
      // access-granted is written once the grant is made, so it may follow the open port by a moment
      knockd.awaitAudit(1, 2, "event=access-granted", "user=alice");
      assertThat(knockd.audited("event=access-granted", "user=alice")).hasSize(1);

      KnockdProcess.signal(p, "TERM");
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(pair.server.exec("nft", "list", "table", "inet", "knockd").exit())
          .as("the unprivileged knockd removed its table").isNotZero();
    } finally {
      Netns.host("userdel", user);
    }
  }

  @Test
  void sighupRevokesARemovedUserWhileAnotherStillWorksAndNoKeyIsEverLogged() throws Exception {
    String prefix = "KNHRD" + hex() + ":";
    try (NetnsPair pair = new NetnsPair("hr", "10.206.2");
        KnockdProcess knockd = new KnockdProcess(dir, dir.resolve("audit.log"))) {
      Path alice = key("alice");
      Path bob = key("bob");
      String common = options(prefix, "kmsg", dir.resolve("audit.log"), dir.resolve("state"))
          + "AllowRoot = yes\n"
          + "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, close\n";
      String bobSection = "[user bob]\nKey = " + bob + "\nAllow = open 22/tcp, close\n";
      Path conf = dir.resolve("knockd.conf");
      Files.writeString(conf, common + bobSection);
      Netns.Result check = pair.server.exec(KnockdProcess.script(), "--check", "--config",
          conf.toString()).ok();
      Process p = knockd.start(List.of("ip", "netns", "exec", pair.server.name()), conf);
      Probes.listen(pair.server, 22, dir);

      knock(pair, "-k", bob.toString(), pair.serverIp, "open 22 5m").ok();
      assertThat(Probes.until(true, pair.client, pair.serverIp, 22, 5000)).isNotNegative();

      Files.writeString(conf, common); // bob's section removed
      KnockdProcess.signal(p, "HUP");
      knockd.awaitAudit(1, 10, "event=config-reloaded");

      knock(pair, "-k", bob.toString(), pair.serverIp, "close 22").ok();
      knockd.awaitAudit(1, 10, "event=knock-rejected", "reason=bad-tag"); // its sequence ended
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "0.5"))
          .as("bob's close was refused: still open").isTrue();

      knock(pair, "-k", alice.toString(), pair.serverIp, "close 22").ok();
      assertThat(Probes.until(false, pair.client, pair.serverIp, 22, 5000)).isNotNegative();
      assertThat(knockd.audited("event=knock-accepted", "user=alice")).hasSize(1);
      assertThat(knockd.audited("event=knock-accepted", "user=bob")).hasSize(1);
      assertThat(p.isAlive()).as("reloaded without a restart").isTrue();

      String everything = knockd.auditText() + knockd.output() + check.out() + check.err();
      assertThat(everything).contains("user=alice").contains("user=bob");
      for (Path k : List.of(alice, bob)) {
        String b64 = base64(k);
        assertThat(everything).doesNotContain(b64).doesNotContain(b64.substring(0, 16));
      }
    }
  }

  @Test
  void aKnockWhoseReplayStateCannotBeStoredIsRefusedAndStateSurvivesKill9() throws Exception {
    String prefix = "KNHRD" + hex() + ":";
    Path state = dir.resolve("state");
    Files.createDirectories(state);
    try (NetnsPair pair = new NetnsPair("hd", "10.206.3");
        KnockdProcess knockd = new KnockdProcess(dir, dir.resolve("audit.log"))) {
      // a private mount namespace, held by a sleeper, with a 16 KiB tmpfs as StateDir: the
      // mount disappears with its last process, whatever happens to the test
      Process holder = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sleep",
          "300").redirectErrorStream(true).start();
      try {
        List<String> inMountNs = List.of("nsenter", "-t", Long.toString(holder.pid()), "-m",
            "--");
        Thread.sleep(200);
        run(inMountNs, "mount", "-t", "tmpfs", "-o", "size=16k,mode=0700", "knhrd",
            state.toString());
        Path alice = key("alice");
        Path conf = dir.resolve("knockd.conf");
        Files.writeString(conf, options(prefix, "kmsg", dir.resolve("audit.log"), state)
            + "AllowRoot = yes\n[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, close\n");
        List<String> start = new ArrayList<>(inMountNs);
        start.addAll(List.of("ip", "netns", "exec", pair.server.name()));
        Process first = knockd.start(start, conf);
        Probes.listen(pair.server, 22, dir);

        List<String> a = printKnock(pair, alice, "open 22 2m");
        send(pair, a);
        assertThat(Probes.until(true, pair.client, pair.serverIp, 22, 5000)).isNotNegative();
        Path replayLog = state.resolve("replay.log");
        long size = Long.parseLong(run(inMountNs, "stat", "-c", "%s", replayLog.toString())
            .strip());
        assertThat(size).isPositive();
        // pad the file to 5 bytes short of a page (a line the cache skips when it reads the
        // file back), then fill the disk: the next record gets 5 bytes written, then ENOSPC
        run(inMountNs, "sh", "-c", "head -c " + (4096 - 5 - size - 1)
            + " /dev/zero | tr '\\0' x >> \"$0\" && echo >> \"$0\"", replayLog.toString());
        inMountNs(inMountNs, "sh", "-c", "cat /dev/zero > \"$0\"", state.resolve("fill").toString());

        knock(pair, "-k", alice.toString(), pair.serverIp, "close 22").ok();
        knockd.awaitAudit(1, 10, "event=knock-rejected", "reason=replay-store-failed");
        assertThat(Probes.connects(pair.client, pair.serverIp, 22, "0.5"))
            .as("the unrecorded close was refused").isTrue();

        run(inMountNs, "rm", state.resolve("fill").toString());
        Thread.sleep(2500); // the refused knock's sequence ends
        List<String> c = printKnock(pair, alice, "open 22 2m");
        send(pair, c);
        knockd.awaitAudit(2, 10, "event=knock-accepted");

        KnockdProcess.signal(first, "KILL");
        assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Probes.connects(pair.client, pair.serverIp, 22, "0.5"))
            .as("access stays open after kill -9 (the kernel expires it)").isTrue();
        knockd.start(start, conf);
        assertThat(Probes.connects(pair.client, pair.serverIp, 22, "0.5"))
            .as("the restarted knockd adopted the open grant").isTrue();

        send(pair, a);
        knockd.awaitAudit(1, 10, "event=knock-rejected", "reason=replay(\\s|$)");
        Thread.sleep(2500);
        send(pair, c);
        knockd.awaitAudit(2, 10, "event=knock-rejected", "reason=replay(\\s|$)");
        assertThat(knockd.count("event=knock-accepted")).as(knockd.auditText()).isEqualTo(2);
      } finally {
        knockd.close();
        holder.destroyForcibly();
        holder.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aKnockReplayedAfterKill9RightAfterItsGrantIsRefused() throws Exception {
    String prefix = "KNHRD" + hex() + ":";
    Path state = dir.resolve("state"); // on the disk (not a tmpfs): the sync is real
    try (NetnsPair pair = new NetnsPair("hk", "10.206.4");
        KnockdProcess knockd = new KnockdProcess(dir, dir.resolve("audit.log"))) {
      Path alice = key("alice");
      Path conf = dir.resolve("knockd.conf");
      Files.writeString(conf, options(prefix, "kmsg", dir.resolve("audit.log"), state)
          + "AllowRoot = yes\n[user alice]\nKey = " + alice + "\nAllow = open 22/tcp\n");
      List<String> start = List.of("ip", "netns", "exec", pair.server.name());
      Process first = knockd.start(start, conf);
      Probes.listen(pair.server, 22, dir);
      List<String> a = printKnock(pair, alice, "open 22 2m");
      send(pair, a);
      knockd.awaitAudit(1, 10, "event=access-granted");
      KnockdProcess.signal(first, "KILL");
      assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(Files.readAllLines(state.resolve("replay.log")))
          .as("the record was written before the grant").hasSize(1);

      knockd.start(start, conf);
      send(pair, a);
      knockd.awaitAudit(1, 10, "event=knock-rejected", "reason=replay(\\s|$)");
      assertThat(knockd.count("event=knock-accepted")).as(knockd.auditText()).isEqualTo(1);
    }
  }

  private static String run(List<String> prefix, String... cmd) {
    List<String> all = new ArrayList<>(prefix);
    all.addAll(List.of(cmd));
    return Netns.run(all, 30).ok().out();
  }

  /** Like {@link #run} but a failure (e.g. "No space left on device") is expected. */
  private static void inMountNs(List<String> prefix, String... cmd) {
    List<String> all = new ArrayList<>(prefix);
    all.addAll(List.of(cmd));
    Netns.run(all, 30);
  }
}
