package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LineSourcesTest {
  private final RecordingListener listener = new RecordingListener();

  @Test
  void specsOpenTheRightSources() {
    assertThat(LineSources.open("-", listener)).isInstanceOf(StdinSource.class);
    assertThat(LineSources.open("journal", listener, host(Set.of(JOURNAL), false, Set.of())))
        .isInstanceOf(JournalSource.class);
    assertThat(LineSources.open("kmsg", listener)).isInstanceOf(KmsgSource.class);
    LineSource file = LineSources.open("/var/log/kern.log", listener);
    assertThat(file).isInstanceOf(FileFollower.class);
    assertThat(file.name()).isEqualTo("file:/var/log/kern.log");
    assertThatThrownBy(() -> LineSources.open("", listener))
        .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("\n");
    assertThatThrownBy(() -> LineSources.open("a\u0000b", listener))
        .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("\n");
  }

  private static final Path JOURNAL = Path.of("/run/systemd/journal/socket");
  private static final Path KERN = Path.of("/var/log/kern.log");
  private static final Path MESSAGES = Path.of("/var/log/messages");

  /** A host where these paths exist, a syslog daemon runs or not, these files changed lately. */
  private static LogHost host(Set<Path> existing, boolean syslogd, Set<Path> recent) {
    return new LogHost() {
      @Override
      public boolean exists(Path p) {
        return existing.contains(p);
      }

      @Override
      public boolean syslogDaemonRunning() {
        return syslogd;
      }

      @Override
      public boolean recentlyModified(Path p) {
        return recent.contains(p);
      }
    };
  }

  @Test
  void autoPicksAWrittenSyslogFileThenARunningJournaldThenKmsg() {
    Set<Path> all = Set.of(KERN, MESSAGES, JOURNAL);
    assertThat(LineSources.defaultSpec(host(all, true, Set.of()))).isEqualTo(KERN.toString());
    assertThat(LineSources.defaultSpec(host(Set.of(MESSAGES), true, Set.of())))
        .isEqualTo(MESSAGES.toString());
    // kern.log left over, nothing writes it: journald if it runs, else the kernel itself
    assertThat(LineSources.defaultSpec(host(all, false, Set.of()))).isEqualTo("journal");
    assertThat(LineSources.defaultSpec(host(Set.of(KERN, MESSAGES), false, Set.of())))
        .isEqualTo("kmsg");
    // no syslog daemon we can see, but the file changed a minute ago: something writes it
    assertThat(LineSources.defaultSpec(host(Set.of(KERN), false, Set.of(KERN))))
        .isEqualTo(KERN.toString());
    // journalctl installed, journald not running (containers, this CI machine): kmsg
    assertThat(LineSources.defaultSpec(host(Set.of(), false, Set.of()))).isEqualTo("kmsg");
    assertThat(LineSources.defaultSpec(host(Set.of(Path.of("/run/systemd/journal/stdout")),
        false, Set.of()))).isEqualTo("journal");
  }

  @Test
  void anExplicitJournalWithoutJournaldIsAOneLineError() {
    assertThatThrownBy(() -> LineSources.open("journal", listener,
        host(Set.of(KERN), true, Set.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("FirewallLog = journal, but journald is not running (no "
            + "/run/systemd/journal/socket): journalctl -k -f would print nothing; use "
            + "FirewallLog = kmsg, a syslog file, or auto");
  }

  @Test
  void stdinGivesEveryLineUntilEndOfInput() {
    byte[] input = "one\r\ntwo\n\nlast without newline".getBytes(StandardCharsets.UTF_8);
    StdinSource source = new StdinSource(
        Channels.newChannel(new ByteArrayInputStream(input)), listener);
    List<String> lines = new ArrayList<>();
    source.run(lines::add);
    assertThat(lines).containsExactly("one", "two", "", "last without newline");
    assertThat(listener.events()).isEmpty();
  }
}
