package org.knock.daemon.log;

/** Receives each packet a {@link NetfilterLogParser} recognised, on the parsing thread. */
@FunctionalInterface
public interface PacketHandler {
  void onPacket(LoggedPacket packet);
}
