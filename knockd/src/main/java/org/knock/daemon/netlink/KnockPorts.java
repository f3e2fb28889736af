package org.knock.daemon.netlink;

/**
 * The packets that wake a kmsg reader ({@link KmsgChannel}): TCP SYNs (without ACK) to ports
 * {@code low} to {@code high}, and UDP datagrams to them if {@code udp}: what knockd's rules log
 * as knocks.
 */
public record KnockPorts(int low, int high, boolean udp) {
  public KnockPorts {
    if (low < 0 || high > 65535 || low > high) {
      throw new IllegalArgumentException("ports " + low + "-" + high);
    }
  }

  @Override
  public String toString() {
    return (udp ? "TCP SYNs and UDP to ports " : "TCP SYNs to ports ") + low + "-" + high;
  }
}
