package org.knock.daemon.it;

/**
 * Two throwaway namespaces, "client" and "server", joined by a veth pair in a private /24 that
 * exists only inside them: the client is .2, the server .1. Netfilter LOG is enabled for
 * non-init namespaces. Closing deletes both (and the veth pair with them).
 */
public final class NetnsPair implements AutoCloseable {
  public final Netns client;
  public final Netns server;
  public final String clientIp;
  public final String serverIp;

  /**
   * @param tag a short tag for the namespace names
   * @param subnet the first three octets of the /24, e.g. "10.204.7"
   */
  public NetnsPair(String tag, String subnet) {
    Netns.host("sysctl", "-qw", "net.netfilter.nf_log_all_netns=1").ok();
    Netns s = Netns.create(tag + "s");
    Netns c;
    try {
      c = Netns.create(tag + "c");
    } catch (RuntimeException | Error e) {
      s.close();
      throw e;
    }
    this.server = s;
    this.client = c;
    this.serverIp = subnet + ".1";
    this.clientIp = subnet + ".2";
    try {
      server.exec("ip", "link", "add", "vs", "type", "veth", "peer", "name", "vc", "netns",
          client.name()).ok();
      server.exec("ip", "addr", "add", serverIp + "/24", "dev", "vs").ok();
      client.exec("ip", "addr", "add", clientIp + "/24", "dev", "vc").ok();
      server.exec("ip", "link", "set", "vs", "up").ok();
      client.exec("ip", "link", "set", "vc", "up").ok();
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  @Override
  public void close() {
    try {
      client.close();
    } finally {
      server.close();
    }
  }
}
