package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The README's first command, {@code sudo bin/knockd --config etc/knockd.conf}, with etc/knockd.conf
 * byte for byte (copied, so that the admin.key it creates lands in the test's directory), run as
 * root in a server namespace (subnet 10.209.3.0/24) on this machine, which runs no journald:
 * FirewallLog = auto hears the kernel (kmsg), the self-test passes, and the README's
 * {@code bin/knock --key admin.key SERVER "open 22 30m" --wait} opens port 22 from the client
 * namespace. A private mount namespace hides the host's /var/lib/knockd and /var/log/knockd.
 */
@ResourceLock(HostResources.SHIPPED_DEFAULTS)
class ReadmeFirstCommandIT {
  @TempDir Path dir;

  @Test
  void theReadmesFirstCommandOpensPort22ToAKnock() throws Exception {
    Path conf = dir.resolve("knockd.conf");
    Files.copy(Path.of(System.getProperty("knock.root"), "etc", "knockd.conf"), conf);
    List<Process> started = new ArrayList<>();
    try (NetnsPair pair = new NetnsPair("rf", "10.209.3");
        PrivateMounts mounts = PrivateMounts.over(List.of("/var/lib/knockd", "/var/log/knockd"),
            null)) {
      Process p = DebianKnockdConfIT.startIn(started,
          mounts.inside("ip", "netns", "exec", pair.server.name()), conf, mounts);
      assertThat(Files.readString(dir.resolve("knockd.out")))
          .contains("log " + DebianKnockdConfIT.autoLog());
      Path key = dir.resolve("admin.key");
      assertThat(key).as("CreateKey made admin.key next to the config").exists();

      Probes.listen(pair.server, 22, dir);
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "0.5")).isFalse();
      Netns.Result knock = pair.client.exec("env", "KNOCK_HOME=" + dir.resolve("home"),
          ClientKnockIT.knockScript(), "--key", key.toString(), pair.serverIp, "open 22 30m",
          "--wait");
      assertThat(knock.exit()).as("knock: %s%nknockd: %s", knock.err(),
          Files.readString(dir.resolve("knockd.out"))).isZero();
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "0.5")).isTrue();
      // access-granted is written once the firewall confirmed the grant, so it may follow the
      // open port by a moment: wait for it (bounded) instead of reading the audit log once
      String granted = "event=access-granted user=admin addr=" + pair.clientIp + " port=22/tcp";
      long end = System.nanoTime() + 2_000_000_000L;
      String audit = mounts.read(DebianKnockdConfIT.AUDIT);
      while (!audit.contains(granted) && System.nanoTime() < end) {
        Thread.sleep(50);
        audit = mounts.read(DebianKnockdConfIT.AUDIT);
      }
      assertThat(audit).contains(granted);
      KnockdProcess.signal(p, "TERM");
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    } finally {
      Netns.killAll(started);
    }
  }
}
