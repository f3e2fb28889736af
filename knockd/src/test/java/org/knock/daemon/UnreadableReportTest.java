package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When and what knockd logs about input with its prefix that was no readable packet. */
class UnreadableReportTest {
  private final UnreadableReport report = new UnreadableReport();

  @Test
  void nothingWhileNothingIsUnreadable() {
    assertThat(report.check(0, "", 0)).isNull();
    assertThat(report.check(0, "", 120_000)).isNull();
  }

  @Test
  void theFirstIsReportedAtOnceThenAtMostOnceAMinuteWithTheCountSince() {
    assertThat(report.check(1, "no IN= OUT= fields", 1_000)).isEqualTo("1 log line or NFLOG "
        + "message with knockd's prefix could not be read as a packet (last: no IN= OUT= "
        + "fields); knocks in them are lost: does the log format or rule differ from what knockd "
        + "reads? (1 in all)");
    assertThat(report.check(5, "bad port", 30_000)).as("within the minute").isNull();
    assertThat(report.check(5, "bad port", 59_999)).isNull();
    assertThat(report.check(7, "bad port", 61_000)).startsWith("6 log lines or NFLOG messages "
        + "with knockd's prefix could not be read as a packet in the last 60 s (last: bad port)")
        .endsWith("(7 in all)");
    assertThat(report.check(7, "bad port", 500_000)).as("no new ones").isNull();
    assertThat(report.check(8, "x", 500_001)).as("a new one after a quiet minute: at once")
        .startsWith("1 log line or NFLOG message with knockd's prefix could not be read as a "
            + "packet in the last 439 s");
  }

  @Test
  void theProblemIsWrittenOnOneLineOfPrintableAsciiAndCut() {
    String line = report.check(1, "evil\nevent=access-granted\u001b[31m" + "x".repeat(500), 0);
    assertThat(line).doesNotContain("\n").doesNotContain("\u001b")
        .contains("(last: evil?event=access-granted?[31mxxx");
    assertThat(UnreadableReport.printable("y".repeat(500))).hasSize(200);
  }
}
