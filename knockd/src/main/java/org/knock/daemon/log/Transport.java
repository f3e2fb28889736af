package org.knock.daemon.log;

/** The transport protocol of a logged packet: TCP, UDP, or anything else (ICMP, SCTP, ...). */
public enum Transport {
  TCP,
  UDP,
  OTHER
}
