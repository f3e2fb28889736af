package org.knock.daemon.firewall;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.knock.daemon.exec.CommandRunner;

/**
 * Benchmark, not a test (root, nft): the time of one grant (the add-delete-add transaction) in a
 * network namespace, with one {@code nft -f -} process per grant (before) and through the
 * persistent {@code nft -i} session (after). Run by {@code bench/nft-grant.sh}:
 * {@code NftGrantBench NAMESPACE [GRANTS [GAP_MS]]}; with a gap, each grant follows a pause (nft
 * and knockd's threads asleep, as for a real knock). {@code NftGrantBench --install NAMESPACE}
 * only installs knockd's table (for bench/nft-grant.sh roundtrip).
 */
public final class NftGrantBench {
  private NftGrantBench() {}

  public static void main(String[] args) throws Exception {
    if (args[0].equals("--netlink")) {
      netlink(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
      return;
    }
    boolean installOnly = args[0].equals("--install");
    List<String> prefix = List.of("ip", "netns", "exec", args[installOnly ? 1 : 0]);
    int grants = args.length > 1 && !installOnly ? Integer.parseInt(args[1]) : 200;
    int gapMs = args.length > 2 ? Integer.parseInt(args[2]) : 0;
    FirewallSettings s = Fixtures.SETTINGS;
    CommandRunner runner = new CommandRunner();
    Commands commands = new Commands(prefix, Duration.ofSeconds(5), runner::run);
    Nft process = new NftProcess(commands);
    if (installOnly) {
      new NftablesFirewall(s, null, process, Clock.systemUTC()).install();
      return;
    }
    List<String> argv = new ArrayList<>(prefix);
    argv.addAll(List.of("nft", "-i"));
    Nft session = new NftSession(argv, Duration.ofSeconds(5), process);
    for (Nft nft : List.of(process, session)) {
      NftablesFirewall fw = new NftablesFirewall(s, null, nft, Clock.systemUTC());
      fw.install();
      report(nft == process ? "nft -f -" : "nft -i", fw, grants, gapMs);
    }
  }

  /**
   * The daemon's own path, run inside the namespace (a netlink socket is its process's): the
   * table through the {@code nft -i} session, grants straight through netlink.
   */
  private static void netlink(int grants, int gapMs) throws Exception {
    NetlinkGrants fast = new NetlinkGrants();
    fast.start(); // fails loudly if this JVM cannot (no module, no native access)
    NftablesFirewall fw = new NftablesFirewall(Fixtures.SETTINGS, null, new NftSession(
        List.of("nft", "-i"), Duration.ofSeconds(5), new NftProcess(new Commands(List.of(),
            Duration.ofSeconds(5), new CommandRunner()::run))), fast, Clock.systemUTC());
    fw.install();
    report("netlink", fw, grants, gapMs);
  }

  private static void report(String row, NftablesFirewall fw, int grants, int gapMs)
      throws Exception {
    double[] ms = new double[grants];
    for (int i = -grants / 4; i < grants; i++) { // the first quarter warms up
      Access a = Fixtures.access("10.207.4." + (1 + (i & 127)), 22, org.knock.core.Protocol.TCP);
      if (gapMs > 0) {
        Thread.sleep(gapMs);
      }
      long t0 = System.nanoTime();
      fw.grant(a, Duration.ofMinutes(30));
      if (i >= 0) {
        ms[i] = (System.nanoTime() - t0) / 1e6;
      }
    }
    fw.close();
    Arrays.sort(ms);
    System.out.printf("RESULT %-12s grant%s: median %.2f ms, p95 %.2f ms (n=%d)%n",
        row, gapMs > 0 ? " after " + gapMs + " ms idle" : "",
        ms[grants / 2],
        ms[(int) Math.ceil(grants * 0.95) - 1], grants);
  }
}
