package org.knock.daemon.firewall;

import java.util.List;
import java.util.Objects;
import org.knock.daemon.exec.CommandTemplate;

/**
 * Backend-specific options for {@link Firewalls#create}. Immutable.
 *
 * @param commandPrefix put before every program a backend runs, e.g.
 *     {@code [ip, netns, exec, NAME]}; empty for none
 * @param nftSet nftables shared-set mode: the admin's set {@code "FAMILY TABLE SET"}, e.g.
 *     {@code "inet filter knock_granted"}; null for knockd's own table. IPv6 grants go in the
 *     same table's set named SET + {@link #SET6_SUFFIX} and /64 grants in SET +
 *     {@link #SET6NET_SUFFIX}, when the admin's ruleset has them
 * @param openCommand the command backend's OpenCommand; null for other backends
 * @param closeCommand the command backend's CloseCommand; null for other backends
 */
public record FirewallOptions(List<String> commandPrefix, String nftSet,
    CommandTemplate openCommand, CommandTemplate closeCommand) {

  /** Shared-set mode: the admin's IPv6 set is the IPv4 set's name with this suffix. */
  public static final String SET6_SUFFIX = "6";
  /** Shared-set mode: the admin's set of IPv6 /64 grants (flags interval, timeout). */
  public static final String SET6NET_SUFFIX = "6net";

  /** No prefix, nftables' own table, no commands. */
  public static final FirewallOptions DEFAULTS = new FirewallOptions(List.of(), null, null, null);

  public FirewallOptions {
    commandPrefix = List.copyOf(Objects.requireNonNull(commandPrefix, "commandPrefix"));
  }

  public FirewallOptions withCommandPrefix(List<String> prefix) {
    return new FirewallOptions(prefix, nftSet, openCommand, closeCommand);
  }

  public FirewallOptions withNftSet(String set) {
    return new FirewallOptions(commandPrefix, set, openCommand, closeCommand);
  }

  public FirewallOptions withCommands(CommandTemplate open, CommandTemplate close) {
    return new FirewallOptions(commandPrefix, nftSet, open, close);
  }
}
