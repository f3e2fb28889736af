package org.knock.daemon.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.knock.daemon.firewall.PortSpec;

/**
 * A knockd-compatible static door, {@code [NAME]}: a fixed port sequence (or one-time sequences
 * from a file) that runs a shell command with {@code %IP%} replaced by the knocker's address.
 * Commands are knockd's: one string for {@code /bin/sh -c}.
 *
 * @param name the section's name
 * @param sequence the fixed sequence; empty when one-time sequences are used
 * @param oneTimeSequencesFile knockd's One_Time_Sequences file, or null
 * @param oneTimeSequences the sequences read from that file (lines starting with '#' are used
 *     ones), in file order; empty without the file
 * @param seqTimeout how long the sequence may take (knockd's default 25 s)
 * @param tcpFlags which TCP packets count
 * @param startCommand run when the sequence completes
 * @param stopCommand run cmdTimeout later, or null
 * @param cmdTimeout time between start and stop command (knockd's default 10 s)
 */
public record DoorConfig(
    String name,
    List<PortSpec> sequence,
    Path oneTimeSequencesFile,
    List<List<PortSpec>> oneTimeSequences,
    Duration seqTimeout,
    TcpFlags tcpFlags,
    String startCommand,
    String stopCommand,
    Duration cmdTimeout) {

  public static final Duration DEFAULT_SEQ_TIMEOUT = Duration.ofSeconds(25);
  public static final Duration DEFAULT_CMD_TIMEOUT = Duration.ofSeconds(10);

  public DoorConfig {
    Objects.requireNonNull(name);
    sequence = List.copyOf(sequence);
    oneTimeSequences = oneTimeSequences.stream().map(List::copyOf).toList();
    Objects.requireNonNull(seqTimeout);
    Objects.requireNonNull(tcpFlags);
    Objects.requireNonNull(startCommand);
    Objects.requireNonNull(cmdTimeout);
    if (sequence.isEmpty() == (oneTimeSequencesFile == null)) {
      throw new IllegalArgumentException("a sequence or a one-time sequences file, not both");
    }
  }
}
