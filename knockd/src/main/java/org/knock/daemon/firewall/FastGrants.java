package org.knock.daemon.firewall;

import java.time.Duration;
import org.knock.daemon.netlink.NetlinkException;

/**
 * A second way to write plain grants and revokes of an exact address in knockd's own sets
 * ({@code granted}, {@code granted6}), faster than nft: the same transactions as {@link
 * NftScripts#grant} and {@link NftScripts#revoke}. A call that throws made no change for certain
 * or one that redoing is harmless; the caller then goes through nft. Not thread-safe.
 */
interface FastGrants {
  /** Opens what it needs and makes one harmless round trip; throws (with the reason) if unusable. */
  void start() throws NetlinkException;

  void grant(NftSetRef set, Access access, Duration duration) throws NetlinkException;

  void revoke(NftSetRef set, Access access) throws NetlinkException;

  /** A round trip that changes nothing (see {@link Firewall#warm}). */
  void ping() throws NetlinkException;

  /** One line for descriptions: how grants are written. */
  String describe();

  void close();
}
