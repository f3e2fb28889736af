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

/**
 * Debian's stock /etc/knockd.conf (test-data/knockd-0.8/debian-knockd.conf), unchanged, run by
 * the real {@code bin/knockd} in a server namespace (root; subnet 10.209.1.0/24): it passes
 * {@code --check}, and {@code bin/knock SERVER 7000 8000 9000} from the client namespace makes its
 * openSSH door run its iptables command for the client's address.
 *
 * <p>The file says nothing about knock's settings, so knockd runs on its defaults: FirewallLog =
 * auto (kmsg on a machine without journald or syslog), StateDir /var/lib/knockd, AuditLog
 * /var/log/knockd/audit.log, AllowRoot = no. So it runs as a throwaway system user with
 * CAP_NET_ADMIN (and CAP_SYSLOG: with kernel.dmesg_restrict = 1 reading /dev/kmsg needs it), in a
 * private mount namespace whose tmpfs hide the host's /var/lib/knockd and /var/log/knockd.
 */
@ResourceLock(HostResources.SHIPPED_DEFAULTS)
@ResourceLock(HostResources.SYSTEM_USERS)
class DebianKnockdConfIT {
  private static final SecureRandom RANDOM = new SecureRandom();
  /** knockd's default AuditLog, seen inside the private mounts. */
  static final String AUDIT = "/var/log/knockd/audit.log";
  @TempDir Path dir;

  @Test
  void debiansStockConfigPassesCheckAndItsDoorOpens() throws Exception {
    Path conf = Path.of(System.getProperty("knock.testdata"), "knockd-0.8", "debian-knockd.conf");
    byte[] r = new byte[3];
    RANDOM.nextBytes(r);
    String user = "kndeb" + HexFormat.of().formatHex(r);
    Netns.host("useradd", "--system", "--user-group", "--no-create-home", "--shell",
        "/usr/sbin/nologin", user).ok();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path copy = dir.resolve("knockd.conf");
    Files.copy(conf, copy);
    Netns.host("chown", "root:" + user, copy.toString()).ok();
    List<Process> started = new ArrayList<>();
    try (NetnsPair pair = new NetnsPair("dk", "10.209.1");
        PrivateMounts mounts = PrivateMounts.over(List.of("/var/lib/knockd", "/var/log/knockd"),
            user)) {
      // --check runs the checks start-up runs, as the user knockd will run as (as an admin would)
      Netns.Result check = Netns.run(mounts.inside("setpriv", "--reuid=" + user,
          "--regid=" + user, "--init-groups", KnockdProcess.script(), "--check", "--config",
          copy.toString()), 60);
      assertThat(check.exit()).as(check.err()).isZero();
      assertThat(KnockdProcess.ownErr(check.err())).isEqualTo("knockd: " + copy + ":2: UseSyslog is a knockd 0.8 "
          + "setting that means nothing here, ignored: knock writes its own audit log: use "
          + "AuditLog\n"
          + "knockd: warning: " + copy + ":19: door [openHTTPS] Start_Command: "
          + "/usr/local/sbin/knock_add: no such program (the door fails when it opens)\n");
      assertThat(check.out()).contains("[openSSH]");
      String rule = "-A INPUT -s " + pair.clientIp + "/32 -p tcp -m tcp --dport 22 -j ACCEPT";
      assertThat(pair.server.exec("iptables", "-w", "-S", "INPUT").ok().out())
          .doesNotContain(rule);

      List<String> prefix = mounts.inside("ip", "netns", "exec", pair.server.name(), "setpriv",
          "--reuid=" + user, "--regid=" + user, "--init-groups",
          "--inh-caps=+net_admin,+syslog", "--ambient-caps=+net_admin,+syslog",
          "--bounding-set=-all,+net_admin,+syslog");
      Process p = startIn(started, prefix, copy, mounts);
      Netns.Result knock = pair.client.exec("env", "KNOCK_HOME=" + dir.resolve("home"),
          ClientKnockIT.knockScript(), pair.serverIp, "7000", "8000", "9000");
      knock.ok();
      String rules = "";
      for (int i = 0; i < 50 && !rules.contains(rule); i++) {
        Thread.sleep(100);
        rules = pair.server.exec("iptables", "-w", "-S", "INPUT").ok().out();
      }
      assertThat(rules).as("the openSSH door's command ran; knockd said:%n%s",
          Files.readString(dir.resolve("knockd.out"))).contains(rule);
      assertThat(mounts.read(AUDIT)).contains("event=door-opened door=openSSH src="
          + pair.clientIp);
      KnockdProcess.signal(p, "TERM");
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    } finally {
      Netns.killAll(started);
      Netns.host("userdel", user);
    }
  }

  /**
   * Starts {@code prefix + bin/knockd --config conf} (output in conf's directory, knockd.out) and
   * waits (≤ 20 s) until the audit log in the private mounts says its self-test passed.
   */
  static Process startIn(List<Process> started, List<String> prefix, Path conf,
      PrivateMounts mounts) throws Exception {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(List.of(KnockdProcess.script(), "--config", conf.toString()));
    Path out = conf.resolveSibling("knockd.out");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
        .start();
    started.add(p);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!mounts.read(AUDIT).contains("event=self-test")) {
      assertThat(p.isAlive()).as("knockd exited: %s", Files.readString(out)).isTrue();
      assertThat(System.nanoTime()).as("knockd did not start: %s", Files.readString(out))
          .isLessThan(end);
      Thread.sleep(100);
    }
    assertThat(mounts.read(AUDIT)).contains("event=self-test result=ok log=" + autoLog());
    return p;
  }

  /** What FirewallLog = auto picks on this machine (none writes kern.log here). */
  static String autoLog() {
    return Files.exists(Path.of("/run/systemd/journal/socket"))
        || Files.exists(Path.of("/run/systemd/journal/stdout")) ? "journal" : "kmsg";
  }
}
