package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSourcesTest {
  private final RecordingListener listener = new RecordingListener();

  @Test
  void specsOpenTheRightSources() {
    assertThat(LineSources.open("-", listener)).isInstanceOf(StdinSource.class);
    assertThat(LineSources.open("journal", listener)).isInstanceOf(JournalSource.class);
    assertThat(LineSources.open("kmsg", listener)).isInstanceOf(KmsgSource.class);
    LineSource file = LineSources.open("/var/log/kern.log", listener);
    assertThat(file).isInstanceOf(FileFollower.class);
    assertThat(file.name()).isEqualTo("file:/var/log/kern.log");
    assertThatThrownBy(() -> LineSources.open("", listener))
        .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("\n");
    assertThatThrownBy(() -> LineSources.open("a\u0000b", listener))
        .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("\n");
  }

  @Test
  void defaultIsTheFirstExistingLogFileElseTheJournal() {
    assertThat(LineSources.defaultSpec(p -> true)).isEqualTo("/var/log/kern.log");
    assertThat(LineSources.defaultSpec(p -> p.equals(Path.of("/var/log/messages"))))
        .isEqualTo("/var/log/messages");
    assertThat(LineSources.defaultSpec(p -> false)).isEqualTo("journal");
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
