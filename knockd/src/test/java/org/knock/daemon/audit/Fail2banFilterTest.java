package org.knock.daemon.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * etc/fail2ban/filter.d/knockd.conf against lines the audit log really writes, with fail2ban's
 * {@code <HOST>} translated to Java and the date cut off first, as fail2ban does.
 */
class Fail2banFilterTest {
  /** fail2ban 1.0's &lt;HOST&gt; (filter.d/common.conf / failregex.py), in Java syntax. */
  private static final String HOST = "(?:(?:::f{4,6}:)?(?<ip4>(?:\\d{1,3}\\.){3}\\d{1,3})"
      + "|\\[?(?<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):))\\]?"
      + "|(?<dns>[\\w\\-.^_]*\\w))";
  private static final Pattern DATE =
      Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?Z");
  private static final List<Pattern> FAILREGEX = new ArrayList<>();

  @BeforeAll
  static void readFilter() throws IOException {
    Path filter = Path.of(System.getProperty("knock.root"), "etc/fail2ban/filter.d/knockd.conf");
    boolean in = false;
    for (String line : Files.readAllLines(filter)) {
      if (line.startsWith("failregex")) {
        in = true;
        line = line.substring(line.indexOf('=') + 1);
      } else if (in && !line.startsWith(" ") && !line.startsWith("\t")) {
        in = false;
      }
      if (in && !line.isBlank()) {
        FAILREGEX.add(Pattern.compile(line.strip().replace("<HOST>", HOST)));
      }
    }
    assertThat(FAILREGEX).isNotEmpty();
  }

  /** The host fail2ban would ban for this line, or null. */
  private static String banned(String line) {
    Matcher d = DATE.matcher(line);
    assertThat(d.find()).as("date in %s", line).isTrue();
    String rest = line.substring(d.end());
    for (Pattern p : FAILREGEX) {
      Matcher m = p.matcher(rest);
      if (m.find()) {
        return m.group("ip4") != null ? m.group("ip4")
            : m.group("ip6") != null ? m.group("ip6") : m.group("dns");
      }
    }
    return null;
  }

  private static String line(AuditEvent e) {
    return AuditMessage.TIME.format(Instant.parse("2026-11-22T07:44:50.123Z")) + " " + e.toText();
  }

  @Test
  void probesWithoutAKeyMatchBySource() {
    MemoryAudit audit = new MemoryAudit();
    audit.knockRejected("bad-tag", "203.0.113.9", null);
    audit.knockRejected("replay", "198.51.100.7", "alice");
    audit.knockRejected("stale", "2001:db8::1", "alice");
    audit.knockRejected("too-many-combinations", "203.0.113.10", null);
    audit.knockRejected("address-not-allowed", "203.0.113.11", null);
    audit.knockRejected("before-boot", "203.0.113.12", "alice");
    audit.knockHunt("192.0.2.44", 60, 3, 3, 0, Duration.ofSeconds(12));
    audit.scanDetected("192.0.2.45", 500, 1, 1, 0, Duration.ofMillis(2300));
    assertThat(audit.events()).extracting(e -> banned(line(e))).containsExactly("203.0.113.9",
        "198.51.100.7", "2001:db8::1", "203.0.113.10", "203.0.113.11", "203.0.113.12", "192.0.2.44",
        "192.0.2.45");
    assertThat(audit.events("scan").get(0).toText()).isEqualTo("event=scan src=192.0.2.45 "
        + "ports=500 sequences=1 bad-tags=1 replays=0 interval=2300ms");
  }

  @Test
  void aClosingSummaryIsNotASecondFailure() {
    MemoryAudit audit = new MemoryAudit();
    audit.huntEnded("scan", "192.0.2.45", 502, 1, 0, 0, Duration.ofMillis(4879));
    audit.huntEnded("knock-hunt", "192.0.2.44", 80, 4, 4, 0, Duration.ofSeconds(44));
    assertThat(audit.events()).extracting(e -> banned(line(e))).containsOnlyNulls().hasSize(2);
    assertThat(audit.events().get(0).toText()).isEqualTo("event=scan-end src=192.0.2.45 "
        + "ports=502 sequences=1 bad-tags=0 replays=0 interval=4879ms");
  }

  @Test
  void otherEventsAndForgedValuesAreNot() {
    MemoryAudit audit = new MemoryAudit();
    audit.knockAccepted("alice", "10.0.0.2", "10.0.0.2", "open 22/tcp", null, null);
    audit.firewallError("add", "event=knock-rejected src=192.0.2.1 reason=x", true);
    audit.doorOpened("openSSH", "10.0.0.3");
    audit.sourceLost("kmsg", "\nevent=knock-rejected src=192.0.2.1");
    // only a key holder causes these (a wrong clock or config), or the server itself; or
    // (superseded) whoever delivers the user's captured open late: banning would aim at the user
    for (String reason : new String[] {"malformed", "future", "not-allowed", "too-long",
        "unknown-action", "replay-store-failed", "superseded"}) {
      audit.knockRejected(reason, "192.0.2.9", "alice");
    }
    audit.randomPortTaken("192.0.2.9", "alice", "40000", "22/tcp");
    assertThat(audit.events()).allSatisfy(e -> assertThat(banned(line(e))).isNull());
  }
}
