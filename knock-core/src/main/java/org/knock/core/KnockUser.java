package org.knock.core;

import java.util.Objects;

/**
 * A user the decoder tries: a name, the user's key and the address rule.
 *
 * @param name the user's name, as in {@code [user NAME]}
 * @param key the user's secret
 * @param allowOtherAddress whether a knock may grant an address other than its own source
 */
public record KnockUser(String name, KnockKey key, boolean allowOtherAddress) {
  public KnockUser {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(key, "key");
  }
}
