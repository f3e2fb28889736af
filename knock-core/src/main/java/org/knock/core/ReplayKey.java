package org.knock.core;

/**
 * What identifies one knock for replay detection: its user, timestamp and nonce. Two different
 * messages that decrypt to the same (user, timestamp, nonce) are the same knock.
 */
public record ReplayKey(String user, long timestamp, int nonce) {}
