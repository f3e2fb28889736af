package org.knock.daemon.firewall;

import java.util.List;

/**
 * How the nftables backend talks to nft. {@link NftProcess} runs one {@code nft -f -} per change;
 * a persistent {@code nft -i} session could replace it without touching the backend.
 */
interface Nft {
  /** Applies a script as one transaction. */
  void apply(String script) throws FirewallException;

  /** Runs {@code nft list ARGS} and returns what it printed. */
  String list(List<String> args) throws FirewallException;
}
