package org.knock.daemon.config;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knock.daemon.firewall.PortSpec;

/**
 * Reads a knockd-style door {@code [NAME]}. Keys as in knockd.conf(5); {@code Command} is an
 * alias of {@code Start_Command}. Seq_Timeout and Cmd_Timeout take seconds or a duration.
 */
final class DoorSection {
  static final List<String> KEYS = List.of("Sequence", "One_Time_Sequences", "Seq_Timeout",
      "TCPFlags", "Start_Command", "Stop_Command", "Cmd_Timeout");

  private DoorSection() {}

  /** The door, or null if it has problems (reported). */
  static DoorConfig parse(Ini.Section s, Path baseDir, ConfigFiles files, List<String> notices,
      Problems problems) {
    String name = s.header();
    int before = problems.count();
    SectionKeys k = new SectionKeys(s, "door [" + name + "]", KEYS,
        Map.of("command", "Start_Command"), SectionKeys.KNOCKD_DOOR, notices, problems);
    List<PortSpec> sequence = k.value("Sequence", (key, v) -> Values.ports(key, v, ':', false),
        List.of());
    Path otsFile = k.value("One_Time_Sequences", (key, v) -> Values.path(key, v, baseDir), null);
    List<List<PortSpec>> ots = List.of();
    if (k.has("Sequence") && k.has("One_Time_Sequences")) {
      k.problem("One_Time_Sequences", "give Sequence or One_Time_Sequences, not both");
    } else if (!k.has("Sequence") && !k.has("One_Time_Sequences")) {
      problems.add(s.line(), "door " + name + " has no Sequence");
    } else if (otsFile != null) {
      try {
        ots = oneTimeSequences(otsFile, files);
        if (ots.isEmpty()) {
          notices.add("door " + name + ": " + otsFile + " holds no unused sequence");
        }
      } catch (BadValue b) {
        k.problem("One_Time_Sequences", b.getMessage());
      }
    }
    Duration seqTimeout = k.value("Seq_Timeout", Values::duration, DoorConfig.DEFAULT_SEQ_TIMEOUT);
    TcpFlags flags = k.value("TCPFlags", TcpFlags::parse, TcpFlags.ANY);
    if (!k.has("Start_Command")) {
      problems.add(s.line(), "door " + name + " has no Start_Command");
    }
    String start = k.has("Start_Command") ? k.entry("Start_Command").value() : null;
    String stop = k.has("Stop_Command") ? k.entry("Stop_Command").value() : null;
    Duration cmdTimeout = k.value("Cmd_Timeout", Values::duration, DoorConfig.DEFAULT_CMD_TIMEOUT);
    if (problems.count() > before) {
      return null;
    }
    return new DoorConfig(name, sequence, otsFile, ots, seqTimeout, flags, start, stop,
        cmdTimeout);
  }

  /** The unused sequences of a knockd one-time sequences file, one per line. */
  private static List<List<PortSpec>> oneTimeSequences(Path file, ConfigFiles files)
      throws BadValue {
    String text;
    try {
      text = files.read(file).text();
    } catch (IOException e) {
      throw new BadValue("cannot read one-time sequences " + file + ": " + UserSection.why(e));
    }
    List<List<PortSpec>> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String l = lines[i].strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      try {
        out.add(Values.ports("sequence", l, ':', false));
      } catch (BadValue b) {
        throw new BadValue(file + " line " + (i + 1) + ": " + b.getMessage());
      }
    }
    return out;
  }
}
