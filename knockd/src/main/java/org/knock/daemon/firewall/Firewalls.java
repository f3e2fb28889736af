package org.knock.daemon.firewall;

import java.time.Clock;
import java.util.List;
import org.knock.daemon.exec.CommandRunner;
import org.knock.daemon.netlink.NetlinkException;
import org.knock.daemon.netlink.SetElementWriter;

/** Creates the firewall backend a configuration names; nothing runs until {@link Firewall#install}. */
public final class Firewalls {
  /** The backend names {@link #create} accepts. */
  public static final List<String> KINDS = List.of("nftables", "iptables", "command", "none");
  /**
   * Bytes kept of a firewall program's output: an nft -j listing of ~20k grants (~100 B each).
   * Not more: parsing JSON takes ~10 bytes of heap per byte, and knockd runs with -Xmx128m.
   */
  static final int LISTING_OUTPUT = 2 * 1024 * 1024;

  private Firewalls() {}

  /**
   * The calling thread may run real-time (the log reader): its waits for an {@code nft -i}
   * answer sleep between polls instead of yielding its core, which a real-time thread would not
   * give to nft.
   */
  public static void callerMayBeRealtime() {
    NftSession.NO_SPIN.set(true);
  }

  /**
   * @param kind nftables (the default), iptables, command or none
   * @throws IllegalArgumentException with a one-line message for an unknown kind, a bad nft set,
   *     or a command backend without both templates (or with %USER% in one)
   */
  public static Firewall create(String kind, FirewallSettings s, FirewallOptions options,
      Clock clock) {
    // nft -j list / iptables -S must be read whole: 64 KiB holds only ~650 redirects, and a cut
    // listing adopts none; the command backend's programs keep the usual bound
    CommandRunner runner = new CommandRunner(kind.equals("command") ? CommandRunner.MAX_OUTPUT
        : LISTING_OUTPUT);
    return create(kind, s, options, clock, runner::run, true);
  }

  /**
   * A backend that builds every change as {@code kind} would — for nftables the script and the
   * bytes its {@code nft -i} session would write, and the netlink messages of a plain grant where
   * this JVM could send them — and sends nothing: for compiling the grant's
   * path before the first knock (JitWarmup). Other kinds: {@code none}.
   */
  public static Firewall dryRun(String kind, FirewallSettings s, FirewallOptions options,
      Clock clock) {
    if (!kind.equals("nftables")) {
      return new NoFirewall(clock);
    }
    NftSetRef shared = options.nftSet() == null ? null : NftSetRef.parse(options.nftSet());
    NftablesFirewall fw = new NftablesFirewall(s, shared, new Nft() {
      @Override
      public void apply(String script) throws FirewallException {
        if (NftSession.request(NftSession.oneLine(script)).length == 0) {
          throw new FirewallException("empty"); // keeps the bytes from being optimised away
        }
      }

      @Override
      public String list(List<String> args) {
        return "";
      }

      @Override
      public String listJson(List<String> args) {
        return "{\"nftables\": []}";
      }
    }, SetElementWriter.linkable() ? new NetlinkGrants(true) : null, clock);
    fw.startFast(); // the dry netlink path, without a log line
    return fw;
  }

  /**
   * For {@code knockd --check}: how the nftables backend would write grants, after trying the
   * netlink path once (open, one harmless round trip, close). One line.
   */
  public static String grantPath(String kind, FirewallOptions options) {
    if (!kind.equals("nftables")) {
      return "grants: through the " + kind + " backend";
    }
    if (options.nftSet() != null) {
      return "grants: through nft -i (shared-set mode)";
    }
    NetlinkGrants fast = new NetlinkGrants();
    try {
      fast.start();
      return "grants: netlink from the JVM (sets " + NftScripts.SET_NAME + ", "
          + NftScripts.SET_NAME6 + "); other changes through nft -i";
    } catch (NetlinkException e) {
      return "grants: through nft -i (netlink unavailable: " + e.getMessage() + ")";
    } finally {
      fast.close();
    }
  }

  /** With a fake runner for tests: nftables then runs one {@code nft -f -} per change. */
  static Firewall create(String kind, FirewallSettings s, FirewallOptions options, Clock clock,
      Runner runner) {
    return create(kind, s, options, clock, runner, false);
  }

  /** @param nftSession whether nftables keeps one {@code nft -i} process for its changes */
  private static Firewall create(String kind, FirewallSettings s, FirewallOptions options,
      Clock clock, Runner runner, boolean nftSession) {
    Commands commands = new Commands(options.commandPrefix(), s.commandTimeout(), runner);
    switch (kind) {
      case "nftables":
        NftSetRef shared = options.nftSet() == null ? null : NftSetRef.parse(options.nftSet());
        Nft nft = new NftProcess(commands);
        if (nftSession) {
          List<String> argv = new java.util.ArrayList<>(options.commandPrefix());
          argv.addAll(List.of("nft", "-i"));
          nft = new NftSession(argv, s.commandTimeout(), nft);
        }
        // netlink from this process reaches its own namespace only: not behind a command prefix
        FastGrants fast = nftSession && options.commandPrefix().isEmpty() && shared == null
            ? new NetlinkGrants() : null;
        return new NftablesFirewall(s, shared, nft, fast, clock);
      case "iptables":
        return new DualStackFirewall(new IptablesFirewall(s, commands, clock, IptablesFamily.V4),
            new IptablesFirewall(s, commands, clock, IptablesFamily.V6), s);
      case "command":
        if (options.openCommand() == null || options.closeCommand() == null) {
          throw new IllegalArgumentException(
              "the command firewall needs both OpenCommand and CloseCommand");
        }
        return new CommandFirewall(options.openCommand(), options.closeCommand(), commands, clock);
      case "none":
        return new NoFirewall(clock);
      default:
        throw new IllegalArgumentException("unknown firewall '" + kind + "': use "
            + String.join(", ", KINDS));
    }
  }
}
