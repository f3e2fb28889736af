package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A client test's setup: a private KNOCK_HOME with a key, and {@link #assertFails}. */
abstract class ClientTest {
  @TempDir Path home;
  ClientRun c;

  @BeforeEach
  void newClientWithAKey() throws Exception {
    c = new ClientRun(home);
    c.writeKey();
  }

  /** Runs the client: one line "knock: MESSAGE" on stderr, nothing on stdout, that exit code. */
  void assertFails(int exit, String message, String... args) {
    c.run(args);
    assertThat(c.err).isEqualTo("knock: " + message + "\n");
    assertThat(c.out).isEmpty();
    assertThat(c.exit).isEqualTo(exit);
  }
}
