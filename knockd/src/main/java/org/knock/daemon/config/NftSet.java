package org.knock.daemon.config;

import java.util.Objects;

/**
 * An nftables set in the admin's own ruleset that knockd adds elements to (shared-set mode),
 * written {@code FAMILY TABLE SET}, e.g. {@code inet filter knock_granted}.
 *
 * @param family ip, ip6 or inet
 * @param table the table's name
 * @param set the set's name
 */
public record NftSet(String family, String table, String set) {
  private static final String NAME = "[A-Za-z_][A-Za-z0-9_]{0,63}";

  public NftSet {
    Objects.requireNonNull(family);
    Objects.requireNonNull(table);
    Objects.requireNonNull(set);
  }

  static NftSet parse(String key, String value) throws BadValue {
    String[] w = value.strip().split("\\s+");
    if (w.length != 3) {
      throw new BadValue(key + ": use FAMILY TABLE SET, e.g. inet filter knock_granted");
    }
    if (!w[0].equals("ip") && !w[0].equals("ip6") && !w[0].equals("inet")) {
      throw new BadValue(key + ": bad family '" + w[0] + "': use ip, ip6 or inet");
    }
    for (int i = 1; i < 3; i++) {
      if (!w[i].matches(NAME)) {
        throw new BadValue(key + ": bad nftables name '" + w[i]
            + "': use letters, digits and '_', starting with a letter");
      }
    }
    return new NftSet(w[0], w[1], w[2]);
  }

  @Override
  public String toString() {
    return family + " " + table + " " + set;
  }
}
