package org.knock.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DoorStopsTest {
  @TempDir Path dir;

  @Test
  void whatARunOwesAndDidNotRunIsWhatTheNextRunFinds() throws Exception {
    DoorStops first = DoorStops.open(dir);
    assertThat(first.earlier()).isEmpty();
    DoorStops.Owed ssh = first.opened("ssh", "10.99.0.2", 1_000);
    DoorStops.Owed web = first.opened("web door", "fd00::2", 2_000);
    DoorStops.Owed done = first.opened("ssh", "10.99.0.3", 3_000);
    first.done(done);
    // killed here: no close
    DoorStops second = DoorStops.open(dir);
    assertThat(second.earlier()).containsExactly(ssh, web);
    DoorStops.Owed next = second.opened("ssh", "10.99.0.4", 4_000);
    assertThat(next.id()).as("ids never repeat").isGreaterThan(done.id());
    second.done(ssh);
    second.done(web);
    second.close();
    assertThat(DoorStops.open(dir).earlier()).containsExactly(next);
  }

  @Test
  void aLineCutShortByACrashOrNotOursIsSkipped() throws Exception {
    DoorStops first = DoorStops.open(dir);
    DoorStops.Owed ssh = first.opened("ssh", "10.99.0.2", 1_000);
    first.close();
    Files.writeString(dir.resolve(DoorStops.FILE), "open 7 12\nrubbish\ndone x\nopen 8 9 10.0.0.1  \n"
        + "done " + ssh.id() + "\nopen 9 5 10.0.0.9 ssh\ndone", StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    DoorStops second = DoorStops.open(dir);
    assertThat(second.earlier()).containsExactly(new DoorStops.Owed(9, 5, "10.0.0.9", "ssh"));
    assertThat(Files.readString(dir.resolve(DoorStops.FILE)))
        .as("rewritten with what is owed").isEqualTo("open 9 5 10.0.0.9 ssh\n");
  }

  @Test
  void aDoorOrSourceALineCannotHoldIsRefused() throws Exception {
    DoorStops s = DoorStops.open(dir);
    assertThatThrownBy(() -> s.opened("a\nb", "10.0.0.1", 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> s.opened("ssh", "10.0.0.1 x", 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(DoorStops.open(dir).earlier()).isEmpty();
  }
}
