package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * journald does not run on the build machine, so a fake journalctl (a script printing captured
 * journalctl -o json lines) stands in for it here.
 */
class JournalSourceTest {
  @TempDir Path dir;

  @Test
  void readsMessagesAndRestartsAfterTheLastCursorWhenJournalctlDies() throws Exception {
    List<String> json = Samples.lines("journalctl-json.txt");
    Path first = dir.resolve("first.json");
    Path second = dir.resolve("second.json");
    Files.write(first, json.subList(0, 3));
    Files.write(second, json.subList(3, 5));
    Path args = dir.resolve("args");
    Path pid = dir.resolve("pid");
    // first run: print three entries, complain and die; later runs: two more, then stay alive
    Path fake = dir.resolve("journalctl");
    Files.writeString(fake, String.join("\n",
        "echo \"$*\" >> " + args,
        "if [ ! -e " + dir.resolve("ran") + " ]; then",
        "  touch " + dir.resolve("ran"),
        "  cat " + first,
        "  echo 'Failed to iterate through journal: Bad message' >&2",
        "  exit 1",
        "fi",
        "echo $$ > " + pid,
        "cat " + second,
        "exec sleep 60", ""));
    RecordingListener listener = new RecordingListener();
    JournalSource source = new JournalSource(List.of("bash", fake.toString(), "-k", "-f"),
        listener);
    RunningSource running = new RunningSource(source).awaitLines(5);
    List<String> lines = running.lines;
    List<String> expected = new ArrayList<>();
    for (String j : json.subList(0, 5)) {
      expected.add(JournalJson.field(j, "MESSAGE"));
    }
    assertThat(lines).containsExactlyElementsOf(expected);
    assertThat(lines.get(0)).startsWith("KNLOG: IN=vs OUT=");
    assertThat(listener.events()).containsExactly(
        "lost journalctl exited with status 1: Failed to iterate through journal: Bad message",
        "recovered");
    List<String> calls = Files.readAllLines(args);
    assertThat(calls.get(0)).isEqualTo("-k -f -n 0");
    assertThat(calls.get(1)).isEqualTo("-k -f --after-cursor="
        + JournalJson.field(json.get(2), "__CURSOR"));
    long child = Long.parseLong(Files.readString(pid).trim());
    assertThat(ProcessHandle.of(child).map(ProcessHandle::isAlive)).contains(true);
    assertThat(running.stop()).isTrue();
    assertThat(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false)).isFalse();
  }

  @Test
  void missingJournalctlIsReportedOnceAndRetried() throws Exception {
    RecordingListener listener = new RecordingListener();
    JournalSource source = new JournalSource(List.of(dir.resolve("no-such-journalctl")
        .toString()), listener);
    RunningSource running = new RunningSource(source);
    Thread.sleep(1200); // several attempts with backoff
    assertThat(running.stop()).isTrue();
    assertThat(listener.events()).hasSize(1);
    assertThat(listener.events().get(0)).startsWith("lost cannot start journalctl");
  }

  @Test
  void jsonFieldsIncludingEscapesAndByteArrays() {
    assertThat(JournalJson.field("{ \"__CURSOR\" : \"s=1;i=2\", \"MESSAGE\" : \"a \\\"b\\\" \\u0041\" }",
        "MESSAGE")).isEqualTo("a \"b\" A");
    assertThat(JournalJson.field("{\"MESSAGE\":[75,78,76,79,71,58]}", "MESSAGE"))
        .isEqualTo("KNLOG:");
    assertThat(JournalJson.field("{\"MESSAGE\":null}", "MESSAGE")).isNull();
    assertThat(JournalJson.field("{\"A\":1,\"B\":\"x\"}", "B")).isEqualTo("x");
    assertThat(JournalJson.field("not json", "MESSAGE")).isNull();
    assertThat(JournalJson.field("{\"MESSAGE\":\"unterminated", "MESSAGE")).isNull();
  }
}
