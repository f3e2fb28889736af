package org.knock.daemon.firewall;

import java.time.Duration;
import org.knock.daemon.netlink.NetlinkException;
import org.knock.daemon.netlink.SetElementWriter;

/**
 * {@link FastGrants} through one netlink socket of this process ({@link SetElementWriter}), opened
 * by {@link #start}: only where knockd runs nft in its own network namespace (no command prefix)
 * and on a JVM with {@code jdk.incubator.foreign} and native access.
 */
final class NetlinkGrants implements FastGrants {
  private final boolean dryRun;
  private SetElementWriter writer;

  NetlinkGrants() {
    this(false);
  }

  /** @param dryRun build each change's messages and send nothing (JitWarmup) */
  NetlinkGrants(boolean dryRun) {
    this.dryRun = dryRun;
  }

  @Override
  public void start() throws NetlinkException {
    if (dryRun) {
      return;
    }
    if (writer == null) {
      writer = SetElementWriter.open();
    } else {
      writer.ping();
    }
  }

  @Override
  public void grant(NftSetRef set, Access access, Duration duration) throws NetlinkException {
    if (dryRun) {
      if (SetElementWriter.dryGrant(set.table(), set.set(), key(access),
          timeoutMillis(duration)) == 0) {
        throw new NetlinkException("empty"); // keeps the bytes from being optimised away
      }
      return;
    }
    started().grant(set.table(), set.set(), key(access), timeoutMillis(duration));
  }

  @Override
  public void revoke(NftSetRef set, Access access) throws NetlinkException {
    if (dryRun) {
      return;
    }
    started().revoke(set.table(), set.set(), key(access));
  }

  @Override
  public void ping() throws NetlinkException {
    if (dryRun) {
      return;
    }
    started().ping();
  }

  private SetElementWriter started() throws NetlinkException {
    if (writer == null) {
      throw new NetlinkException("netlink socket not open");
    }
    return writer;
  }

  @Override
  public String describe() {
    return "grants and revokes of sets '" + NftScripts.SET_NAME + "' and '" + NftScripts.SET_NAME6
        + "' go straight through netlink (one send() per transaction, the same add-delete-add as "
        + "nft; on any failure that grant goes through nft -i); everything else through nft -i";
  }

  @Override
  public void close() {
    if (writer != null) {
      writer.close();
      writer = null;
    }
  }

  /**
   * The set element's key, as nft lays out {@code ADDR . inet_proto . inet_service}: the address
   * (4 or 16 bytes), the protocol number in a 4-byte register, the port big-endian in another.
   */
  static byte[] key(Access a) {
    byte[] address = a.address().getAddress();
    byte[] key = new byte[address.length + 8];
    System.arraycopy(address, 0, key, 0, address.length);
    key[address.length] = (byte) switch (a.protocol()) { // IANA numbers; a new one must be added
      case TCP -> 6;
      case UDP -> 17;
    };
    key[address.length + 4] = (byte) (a.port() >> 8);
    key[address.length + 5] = (byte) a.port();
    return key;
  }

  /** The timeout nft would set for {@link NftScripts#timeout}: rounded up to whole seconds. */
  static long timeoutMillis(Duration d) {
    return (d.getSeconds() + (d.getNano() > 0 ? 1 : 0)) * 1000;
  }
}
