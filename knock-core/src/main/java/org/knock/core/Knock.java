package org.knock.core;

/**
 * An accepted knock: who sent it, what it asks for, and the address to grant.
 *
 * @param user the name of the user whose key opened it
 * @param payload the decrypted payload
 * @param source the source address the packets came from (IPv4 as int)
 * @param grant the address to grant: the payload's address, or the source if it asked for that
 */
public record Knock(String user, Payload payload, int source, int grant) {}
