package org.knock.daemon.firewall;

import java.time.Clock;
import java.util.List;
import org.knock.daemon.exec.CommandRunner;

/** Creates the firewall backend a configuration names; nothing runs until {@link Firewall#install}. */
public final class Firewalls {
  /** The backend names {@link #create} accepts. */
  public static final List<String> KINDS = List.of("nftables", "iptables", "command", "none");

  private Firewalls() {}

  /**
   * @param kind nftables (the default), iptables, command or none
   * @throws IllegalArgumentException with a one-line message for an unknown kind, a bad nft set,
   *     or a command backend without both templates (or with %USER% in one)
   */
  public static Firewall create(String kind, FirewallSettings s, FirewallOptions options,
      Clock clock) {
    CommandRunner runner = new CommandRunner();
    return create(kind, s, options, clock, runner::run);
  }

  static Firewall create(String kind, FirewallSettings s, FirewallOptions options, Clock clock,
      Runner runner) {
    Commands commands = new Commands(options.commandPrefix(), s.commandTimeout(), runner);
    switch (kind) {
      case "nftables":
        NftSetRef shared = options.nftSet() == null ? null : NftSetRef.parse(options.nftSet());
        return new NftablesFirewall(s, shared, new NftProcess(commands), clock);
      case "iptables":
        return new IptablesFirewall(s, commands, clock);
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
