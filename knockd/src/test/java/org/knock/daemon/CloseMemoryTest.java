package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CloseMemoryTest {
  /**
   * A key holder allowed {@code open *} can close a grant per port: filling the memory must not
   * forget another user's close (whose held-back open would then reopen).
   */
  @Test
  void oneUserFillingTheMemoryForgetsItsOwnClosesNotAnothersUser() {
    CloseMemory m = new CloseMemory(3);
    m.closed("alice", "10.0.0.1 22/tcp", 100);
    for (int port = 1; port <= 10; port++) {
      m.closed("mallory", "10.0.0.9 " + port + "/tcp", 101);
    }
    assertThat(m.size()).isEqualTo(3);
    assertThat(m.closedAt("alice", "10.0.0.1 22/tcp")).isEqualTo(100L);
    assertThat(m.closedAt("mallory", "10.0.0.9 10/tcp")).isEqualTo(101L);
    assertThat(m.closedAt("mallory", "10.0.0.9 1/tcp")).isNull();
  }

  /** A grant closed again counts as closed last: the newest seal, and the last to be forgotten. */
  @Test
  void aGrantClosedAgainIsTheLastOfItsUserToBeForgotten() {
    CloseMemory m = new CloseMemory(2);
    m.closed("alice", "a", 100);
    m.closed("alice", "b", 101);
    m.closed("alice", "a", 99); // an older seal does not lower it, but it was closed last
    m.closed("alice", "c", 102);
    assertThat(m.closedAt("alice", "a")).isEqualTo(100L);
    assertThat(m.closedAt("alice", "b")).isNull();
    assertThat(m.size()).isEqualTo(2);
  }

  @Test
  void closesSealedBeforeTheOldestAreForgotten() {
    CloseMemory m = new CloseMemory(10);
    m.closed("alice", "a", 100);
    m.closed("bob", "a", 105);
    m.forgetBefore(101);
    assertThat(m.closedAt("alice", "a")).isNull();
    assertThat(m.closedAt("bob", "a")).isEqualTo(105L);
    assertThat(m.size()).isEqualTo(1);
    CloseMemory next = new CloseMemory(10);
    next.putAll(m);
    assertThat(next.closedAt("bob", "a")).isEqualTo(105L);
  }
}
