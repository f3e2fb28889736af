package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11's client retries through a real kernel: the client namespace's own nftables drop the
 * first 20 SYNs it sends into the knock range (every packet of the first knock), so only a retry
 * can open port 22. {@code bin/knock --wait} must notice the port stayed shut, send a fresh knock
 * (new ports), and exit 0 once the port accepts; knockd must have seen and granted only that one.
 */
@Timeout(120)
class ClientRetryIT {
  private static final int KNOCK_SIZE = 20;

  @TempDir Path dir;

  @Test
  void waitOpensOnAFreshKnockWhenTheFirstWasDropped() throws Exception {
    try (Lab lab = Lab.open("cr", "10.204.11", dir)) {
      Path alice = lab.keygen("alice");
      Knockd knockd = lab.knockd("knockd", Knockd.Settings.defaults(),
          "[user alice]\nKey   = " + alice + "\nAllow = open 22/tcp\n").start();
      AuditTrail audit = knockd.audit();
      // the first KNOCK_SIZE SYNs from the client into the knock range die in its own output hook
      Path rules = dir.resolve("drop-first.nft");
      Files.writeString(rules, "table inet crdrop {\n"
          + "  chain out {\n"
          + "    type filter hook output priority 0; policy accept;\n"
          + "    tcp dport 20000-25119 tcp flags & (syn | ack) == syn"
          + " numgen inc mod 1000000 < " + KNOCK_SIZE + " counter drop\n"
          + "  }\n"
          + "}\n");
      lab.client().exec("nft", "-f", rules.toString()).ok();
      assertThat(lab.reachable()).as("port 22 before the knock").isFalse();

      int mark = audit.mark();
      try (ClientKnockIT.KernelLog kernel = new ClientKnockIT.KernelLog(knockd.prefix())) {
        Netns.Result r = lab.tryKnock(alice, "open 22 30s", "-v", "--wait", "10");
        assertThat(r.exit()).as("exit of bin/knock --wait; stderr: %s", r.err()).isZero();
        String what = lab.serverIp() + ":22";
        assertThat(r.err()).isEqualTo("knock: " + what + " still shut 1.0 s after the last"
            + " knock: a fresh knock (retry 1 of 2)\nknock: " + what + " is open\n");
        List<List<Integer>> knocks = knocks(r.out(), lab.serverIp());
        assertThat(knocks).as("knocks sent").hasSize(2);
        assertThat(knocks.get(1)).isNotEqualTo(knocks.get(0));

        // the client's rule dropped exactly the first knock
        assertThat(lab.client().exec("nft", "list", "chain", "inet", "crdrop", "out").ok().out())
            .contains("counter packets " + KNOCK_SIZE + " ");
        // the server's kernel logged the second knock's ports only
        Set<Integer> logged = new HashSet<>();
        for (int i = 0; i < 30 && logged.size() < KNOCK_SIZE; i++) {
          Thread.sleep(100);
          logged = knockRange(kernel.ports("SRC=" + lab.clientIp() + " ", "TCP"));
        }
        assertThat(logged).isEqualTo(new HashSet<>(knocks.get(1)));
        assertThat(knockRange(kernel.ports("SRC=" + lab.clientIp() + " ", "TCP")))
            .as("logged knock-range SYNs").hasSize(KNOCK_SIZE);
      }
      assertThat(lab.reachable()).as("port 22 after the knock").isTrue();
      audit.await(mark, 2000, "access-granted", "user", "alice", "port", "22/tcp");
      assertThat(audit.count(mark, "knock-accepted")).as("knocks accepted").isEqualTo(1);
      assertThat(audit.count(mark, "access-granted")).as("grants").isEqualTo(1);
      assertThat(audit.count(mark, "knock-rejected")).as("knocks rejected").isZero();
    }
  }

  /** The ports of {@code bin/knock -v}'s "hitting tcp IP:PORT" lines, cut into knocks. */
  private static List<List<Integer>> knocks(String out, String ip) {
    List<Integer> hits = new ArrayList<>();
    for (String l : out.split("\n")) {
      if (l.startsWith("hitting tcp " + ip + ":")) {
        hits.add(Integer.parseInt(l.substring(l.lastIndexOf(':') + 1)));
      }
    }
    assertThat(hits.size() % KNOCK_SIZE).as("hitting lines: %s", out).isZero();
    List<List<Integer>> knocks = new ArrayList<>();
    for (int i = 0; i < hits.size(); i += KNOCK_SIZE) {
      knocks.add(hits.subList(i, i + KNOCK_SIZE));
    }
    return knocks;
  }

  private static Set<Integer> knockRange(List<Integer> ports) {
    Set<Integer> in = new HashSet<>();
    for (int p : ports) {
      if (p >= 20000 && p <= 25119) {
        in.add(p);
      }
    }
    return in;
  }
}
