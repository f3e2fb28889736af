package org.knock.core;

import java.util.Objects;

/**
 * A user the decoder tries: a name, the user's key and the address rule.
 *
 * @param name the user's name, as in {@code [user NAME]}
 * @param key the user's secret
 * @param allowOtherAddress whether a knock may grant an address other than its own source
 * @param acceptVersion1 whether this user's unbound version-1 knocks are accepted (safe only while
 *     the key is used by no other server)
 * @param onlyFor the one server address this key serves (a key derived from a passphrase for that
 *     address); null: any address the decoder binds to
 */
public record KnockUser(String name, KnockKey key, boolean allowOtherAddress,
    boolean acceptVersion1, ServerBinding onlyFor) {
  public KnockUser {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(key, "key");
  }

  /** A user whose key serves any server address. */
  public KnockUser(String name, KnockKey key, boolean allowOtherAddress, boolean acceptVersion1) {
    this(name, key, allowOtherAddress, acceptVersion1, null);
  }

  /** A user whose knocks of both versions are accepted (knock-core's tests and tools). */
  public KnockUser(String name, KnockKey key, boolean allowOtherAddress) {
    this(name, key, allowOtherAddress, true);
  }
}
