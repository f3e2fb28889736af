package org.knock.daemon.firewall;

/**
 * A named nft set, {@code FAMILY TABLE SET} (e.g. {@code inet filter knock_granted}), validated so
 * it can be written into an nft script as is.
 */
record NftSetRef(String family, String table, String set) {
  private static final String IDENTIFIER = "[A-Za-z][A-Za-z0-9_]{0,63}";

  NftSetRef {
    if (!(family.equals("inet") || family.equals("ip"))) {
      throw new IllegalArgumentException("bad nft set family '" + family + "': use inet or ip");
    }
    if (!table.matches(IDENTIFIER) || !set.matches(IDENTIFIER)) {
      throw new IllegalArgumentException("bad nft set '" + table + " " + set
          + "': names are a letter then letters, digits or _");
    }
  }

  /**
   * Parses {@code "inet filter knock_granted"}.
   *
   * @throws IllegalArgumentException with a one-line message
   */
  static NftSetRef parse(String text) {
    String[] w = text.strip().split("\\s+");
    if (w.length != 3) {
      throw new IllegalArgumentException("bad nft set '" + text
          + "': use FAMILY TABLE SET, e.g. inet filter knock_granted");
    }
    return new NftSetRef(w[0], w[1], w[2]);
  }

  @Override
  public String toString() {
    return family + " " + table + " " + set;
  }
}
