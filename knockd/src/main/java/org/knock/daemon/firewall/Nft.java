package org.knock.daemon.firewall;

import java.util.List;

/**
 * How the nftables backend talks to nft: {@link NftSession} keeps one {@code nft -i} process for
 * every change (the daemon); {@link NftProcess} runs one {@code nft -f -} per change.
 */
interface Nft {
  /** Applies a script as one transaction. */
  void apply(String script) throws FirewallException;

  /** Runs {@code nft list ARGS} and returns what it printed. */
  String list(List<String> args) throws FirewallException;

  /** Runs {@code nft -j list ARGS} and returns the JSON it printed. */
  String listJson(List<String> args) throws FirewallException;

  /** Ends a process kept between calls, if any. */
  default void close() {}
}
