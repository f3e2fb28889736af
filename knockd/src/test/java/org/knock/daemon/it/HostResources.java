package org.knock.daemon.it;

/**
 * Names of what end-to-end classes share on the host, for JUnit's {@code @ResourceLock}: the ITs
 * run two classes at a time (failsafe's configuration in knockd/pom.xml), each in its own
 * namespaces with its own LOG prefix, and a class that touches one of these waits for the other
 * holder. A class that changes the whole host (the kernel log's sysctl, dpkg, a SYN flood that
 * fills the one kernel log ring every namespace writes to) is {@code @Isolated} instead: it runs
 * alone.
 */
final class HostResources {
  /**
   * What a knockd on the shipped defaults uses: {@code LogPrefix = "KNOCK: "} (two such knockds
   * hear each other's packets) and /var/lib/knockd, /var/log/knockd (the mount points {@link
   * PrivateMounts} makes on the host and removes again).
   */
  static final String SHIPPED_DEFAULTS = "the shipped defaults: LogPrefix, /var/lib/knockd";
  /** /etc/passwd and /etc/group: useradd and userdel of throwaway system users. */
  static final String SYSTEM_USERS = "system users";

  private HostResources() {}
}
