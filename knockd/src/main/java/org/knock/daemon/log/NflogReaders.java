package org.knock.daemon.log;

import org.knock.daemon.netlink.NetfilterChannel;
import org.knock.daemon.netlink.NetlinkException;

/**
 * Which reader {@code FirewallLog = nflog:GROUP} uses: knockd's own netlink socket
 * ({@link NflogDirectSource}) when the JVM's foreign linker works (bin/knockd on JDK 17 adds
 * jdk.incubator.foreign), else a ulogd2 child ({@link NflogSource}), as before. The system
 * property {@value #PROPERTY}{@code =ulogd} (e.g. {@code KNOCKD_JAVA_OPTS=-Dknockd.nflog=ulogd})
 * forces ulogd. The probe opens and closes one socket, once per JVM.
 */
final class NflogReaders {
  /** The system property that forces the ulogd fallback with the value {@code ulogd}. */
  static final String PROPERTY = "knockd.nflog";
  private static String probe;

  private NflogReaders() {}

  /** Whether nflog sources read the group directly. */
  static boolean direct() {
    return whyUlogd().isEmpty();
  }

  /** Why the ulogd fallback is used, one phrase; "" when the direct reader is. */
  static synchronized String whyUlogd() {
    if ("ulogd".equals(System.getProperty(PROPERTY))) {
      return "forced by -D" + PROPERTY + "=ulogd";
    }
    if (probe == null) {
      try {
        NetfilterChannel.open(4096, NflogDirectSource.TIMEOUT_MS).close();
        probe = "";
      } catch (NetlinkException | RuntimeException | LinkageError e) {
        probe = "the direct reader is unavailable: " + e.getMessage();
      }
    }
    return probe;
  }
}
