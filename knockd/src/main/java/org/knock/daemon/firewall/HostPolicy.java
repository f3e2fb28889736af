package org.knock.daemon.firewall;

import java.util.regex.Pattern;

/**
 * Reads whether the host drops unsolicited input by default, from listings the backends already
 * run. Pure functions of the listing text.
 */
final class HostPolicy {
  /** A base chain on hook input with policy drop, as {@code nft list ruleset} prints it. */
  private static final Pattern NFT_INPUT_DROP =
      Pattern.compile("(?m)^\\s*type \\w+ hook input [^;\\n]*;\\s*policy drop;");

  private HostPolicy() {}

  /** True if any base chain on hook input (any table, any family) has policy drop. */
  static boolean nftDropsInput(String ruleset) {
    return NFT_INPUT_DROP.matcher(ruleset).find();
  }

  /** True if {@code iptables -S} shows {@code -P INPUT DROP}. */
  static boolean iptablesDropsInput(String listing) {
    return listing.lines().anyMatch(l -> l.strip().equals("-P INPUT DROP"));
  }
}
