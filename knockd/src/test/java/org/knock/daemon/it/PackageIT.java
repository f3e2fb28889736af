package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.DirectoryStream;
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
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The Debian packages the build wrote (knock/target/knock_*_all.deb, knockd/target/knockd_*_all.deb)
 * on this machine, as root: {@code apt-get install ./knockd_*.deb ./knock_*.deb}; the installed
 * {@code /usr/sbin/knockd} runs as the user knockd with CAP_NET_ADMIN alone (setpriv, as the unit
 * does) in a server namespace (10.209.2.0/24) and the installed {@code /usr/bin/knock} opens its
 * port from the client namespace; {@code man -w} finds the pages; {@code apt-get remove} keeps the
 * conffiles, {@code apt-get purge} leaves nothing but the system user knockd (Debian policy keeps
 * system users).
 *
 * <p>The packages replace Debian's knockd 0.8, which other tests run (StaticKnockIT, EndToEndIT):
 * if it was installed, the same version is installed again at the end, whatever happened.
 */
@Isolated("dpkg installs and purges the packages, and replaces Debian's knockd")
class PackageIT {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final List<String> PACKAGED = List.of("/usr/sbin/knockd", "/usr/bin/knock",
      "/usr/share/knock", "/etc/knockd", "/lib/systemd/system/knockd.service",
      "/etc/logrotate.d/knockd", "/etc/fail2ban/filter.d/knockd.conf",
      "/usr/share/man/man8/knockd.8.gz", "/usr/share/man/man5/knockd.conf.5.gz",
      "/usr/share/man/man1/knock.1.gz", "/usr/share/bash-completion/completions/knock",
      "/usr/share/doc/knock", "/usr/share/doc/knockd", "/var/lib/knockd", "/var/log/knockd");
  @TempDir Path dir;

  private static Netns.Result apt(String... args) {
    List<String> cmd = new ArrayList<>(List.of("env", "DEBIAN_FRONTEND=noninteractive",
        "apt-get", "-y", "-q", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300"));
    cmd.addAll(List.of(args));
    return Netns.run(cmd, 600);
  }

  /** The version of a package dpkg knows in any state (half-installed too), or null. */
  private static String known(String pkg) {
    Netns.Result r = Netns.host("dpkg-query", "-W", "-f", "${db:Status-Abbrev}${Version}", pkg);
    return r.exit() == 0 && !r.out().startsWith("un") && r.out().length() > 3
        ? r.out().substring(3).strip() : null;
  }

  private static String installed(String pkg) {
    Netns.Result r = Netns.host("dpkg-query", "-W", "-f", "${db:Status-Abbrev}${Version}", pkg);
    return r.exit() == 0 && r.out().startsWith("ii") ? r.out().substring(3).strip() : null;
  }

  private static Path deb(String module, String pkg) throws IOException {
    Path target = Path.of(System.getProperty("knock.root"), module, "target");
    try (DirectoryStream<Path> s = Files.newDirectoryStream(target, pkg + "_*_all.deb")) {
      for (Path p : s) {
        return p;
      }
    }
    throw new AssertionError("no " + pkg + "_*_all.deb in " + target + ": run mvn -B package");
  }

  @Test
  void installRunAsKnockdOpenAPortFindTheManPagesPurge() throws Exception {
    Netns.requireRoot();
    Path knockdDeb = deb("knockd", "knockd");
    Path knockDeb = deb("knock", "knock");
    String debianKnockd = installed("knockd");
    if (debianKnockd != null && debianKnockd.startsWith("1:")) {
      debianKnockd = null; // ours, left by an interrupted run: nothing of Debian's to restore
    }
    // the package's directories, as an earlier test or run may have left them (none: absent)
    System.out.println("PackageIT: before install: " + Netns.host("sh", "-c",
        "ls -laR /var/log/knockd /var/lib/knockd 2>&1").out());
    try {
      Netns.Result in = apt("install", knockdDeb.toString(), knockDeb.toString());
      assertThat(in.exit()).as("apt-get install:%n%s%s", in.out(), in.err()).isZero();
      assertThat(installed("knockd")).startsWith("1:");
      assertThat(installed("knock")).isEqualTo(installed("knockd"));
      assertThat(Path.of("/usr/sbin/knockd")).isExecutable();
      assertThat(Path.of("/usr/bin/knock")).isExecutable();
      assertThat(Netns.host("getent", "passwd", "knockd").ok().out()).contains(":/var/lib/knockd:");
      assertThat(Netns.host("stat", "-c", "%a %U:%G", "/etc/knockd/knockd.conf").ok().out())
          .isEqualTo("640 root:knockd\n");
      assertThat(Netns.host("stat", "-c", "%a %U:%G", "/var/lib/knockd").ok().out())
          .isEqualTo("750 knockd:knockd\n");
      assertThat(Netns.host("man", "-w", "knockd").ok().out())
          .isEqualTo("/usr/share/man/man8/knockd.8.gz\n");
      assertThat(Netns.host("man", "-w", "5", "knockd.conf").ok().out())
          .isEqualTo("/usr/share/man/man5/knockd.conf.5.gz\n");
      assertThat(Netns.host("man", "-w", "knock").ok().out())
          .isEqualTo("/usr/share/man/man1/knock.1.gz\n");
      assertThat(Netns.host("/usr/sbin/knockd", "--version").ok().out()).startsWith("knockd ");

      runInstalledKnockdAndKnock();

      Netns.Result rm = apt("remove", "knockd", "knock");
      assertThat(rm.exit()).as("apt-get remove:%n%s%s", rm.out(), rm.err()).isZero();
      assertThat(Path.of("/usr/sbin/knockd")).doesNotExist();
      assertThat(Path.of("/etc/knockd/knockd.conf")).as("conffiles stay on remove").exists();
      assertThat(Path.of("/etc/logrotate.d/knockd")).exists();

      Netns.Result purge = apt("purge", "knockd", "knock");
      assertThat(purge.exit()).as("apt-get purge:%n%s%s", purge.out(), purge.err()).isZero();
      assertThat(installed("knockd")).isNull();
      for (String p : PACKAGED) {
        assertThat(Path.of(p)).as("left after purge").doesNotExist();
      }
      assertThat(Netns.host("dpkg-query", "-W", "knockd").out()).doesNotContain("1:");
      // what policy lets stay: the system user (files it owned elsewhere keep an owner)
      assertThat(Netns.host("getent", "passwd", "knockd").exit()).isZero();
    } finally {
      for (String pkg : List.of("knockd", "knock")) {
        String v = known(pkg);
        if (v != null && v.startsWith("1:")) {
          apt("purge", pkg);
        }
      }
      if (debianKnockd != null) {
        Netns.Result back = apt("install", "--allow-downgrades", "knockd=" + debianKnockd);
        assertThat(back.exit()).as("reinstalling Debian's knockd %s:%n%s%s", debianKnockd,
            back.out(), back.err()).isZero();
        assertThat(installed("knockd")).isEqualTo(debianKnockd);
      }
    }
  }

  /** /usr/sbin/knockd as the user knockd with CAP_NET_ADMIN alone; /usr/bin/knock opens 22. */
  private void runInstalledKnockdAndKnock() throws Exception {
    byte[] r = new byte[3];
    RANDOM.nextBytes(r);
    String prefix = "KNPKG" + HexFormat.of().formatHex(r) + ":";
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    // the installed client makes the key; knockd's copy belongs to knockd, mode 0600
    Path clientKey = dir.resolve("alice.key");
    Netns.host("env", "KNOCK_HOME=" + dir.resolve("home"), "/usr/bin/knock", "keygen", "-o",
        clientKey.toString(), "--user", "alice").ok();
    Path serverKey = dir.resolve("server-alice.key");
    Netns.host("install", "-m", "0600", "-o", "knockd", "-g", "knockd", clientKey.toString(),
        serverKey.toString()).ok();
    // kernel.dmesg_restrict = 1 keeps /dev/kmsg from knockd's user: the kernel's lines come
    // from a file written by root, as rsyslog writes kern.log (readable by the knockd group)
    Path kernLog = dir.resolve("kern.log");
    Files.writeString(kernLog, "");
    Netns.host("chown", "root:knockd", kernLog.toString()).ok();
    Files.setPosixFilePermissions(kernLog, PosixFilePermissions.fromString("rw-r-----"));
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, String.join("\n",
        "[options]",
        "FirewallLog = " + kernLog,
        "Protect = 22/tcp",
        "LogPrefix = \"" + prefix + " \"",
        "AuditLog = /var/log/knockd/audit.log",
        "SequenceTimeout = 2s",
        "[user alice]",
        "Key = " + serverKey,
        "Allow = open 22/tcp, close",
        ""));
    Netns.host("chown", "root:knockd", conf.toString()).ok();
    Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r-----"));
    try (NetnsPair pair = new NetnsPair("pk", "10.209.2");
        KnockdProcess knockd = new KnockdProcess(dir, Path.of("/var/log/knockd/audit.log"))) {
      pair.server.start(List.of("sh", "-c",
          "exec dmesg -w | grep --line-buffered -F \"$0\" >> \"$1\"", prefix, kernLog.toString()),
          dir.resolve("dmesg.out"), dir.resolve("dmesg.err"));
      List<String> asTheUnit = List.of("ip", "netns", "exec", pair.server.name(), "setpriv",
          "--reuid=knockd", "--regid=knockd", "--init-groups", "--inh-caps=+net_admin",
          "--ambient-caps=+net_admin", "--bounding-set=-all,+net_admin");
      Process p = knockd.startInstalled(asTheUnit, conf);
      String status = Files.readString(Path.of("/proc", Long.toString(p.pid()), "status"));
      String uid = Netns.host("id", "-u", "knockd").ok().out().strip();
      assertThat(status).containsPattern("(?m)^Uid:\\s+" + uid + "\\s+" + uid + "\\s");
      assertThat(status).containsPattern("(?m)^CapEff:\\s+0000000000001000$");
      knockd.awaitAudit(1, 10, "event=self-test", "result=ok");

      Probes.listen(pair.server, 22, dir);
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "0.5")).isFalse();
      pair.client.exec("env", "KNOCK_HOME=" + dir.resolve("home"), "/usr/bin/knock", "-k",
          clientKey.toString(), pair.serverIp, "open 22 1m").ok();
      assertThat(Probes.until(true, pair.client, pair.serverIp, 22, 5000))
          .as("port 22 opened; audit:%n%s%nout:%n%s", knockd.auditText(), knockd.output())
          .isNotNegative();
      pair.client.exec("env", "KNOCK_HOME=" + dir.resolve("home"), "/usr/bin/knock", "-k",
          clientKey.toString(), pair.serverIp, "close 22").ok();
      assertThat(Probes.until(false, pair.client, pair.serverIp, 22, 5000)).isNotNegative();
      KnockdProcess.signal(p, "TERM");
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
      // the packaged config fails closed: the rules outlive knockd, port 22 stays shut
      assertThat(pair.server.exec("nft", "list", "table", "inet", "knockd").exit()).isZero();
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "0.5")).isFalse();
      // until the admin removes them on purpose
      pair.server.exec("setpriv", "--reuid=knockd", "--regid=knockd", "--init-groups",
          "--inh-caps=+net_admin", "--ambient-caps=+net_admin", "--bounding-set=-all,+net_admin",
          "/usr/sbin/knockd", "--remove-rules", "--config", conf.toString()).ok();
      assertThat(pair.server.exec("nft", "list", "table", "inet", "knockd").exit()).isNotZero();
    }
  }
}
