package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knock.core.Rejection;

class HuntDetectorTest {
  private static final Instant T0 = Instant.parse("2026-11-22T08:00:00Z");
  private static final int A = 0x0A000002;
  private static final int B = 0x0A000003;
  private static final int C = 0x0A000004;

  private final HuntDetector<Integer> d = HuntDetector.ipv4(20000, 25119,
      Duration.ofMinutes(1), Duration.ofSeconds(12), 100, 3, 8);

  private static Instant at(long millis) {
    return T0.plusMillis(millis);
  }

  @Test
  void aScanIsAlertedAtTheFirstSweepPastTheThresholdAndSummedUpWhenTheSourceGoesQuiet() {
    List<HuntDetector.Report<Integer>> alerts = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      d.packet(A, 20000 + i * 7, at(i * 4));
      d.packet(A, 20000 + i * 7, at(i * 4 + 1)); // a retransmit counts once
      if (i % 62 == 61) { // a sweep every 250 ms of the scan
        alerts.addAll(d.sweep(at(i * 4 + 1)));
      }
    }
    // the 100th port came at 396 ms; the sweep at 493 ms alerts, with the counts so far
    assertThat(alerts).containsExactly(new HuntDetector.Report(
        HuntDetector.Kind.SCAN, false, A, 124, 0, 0, 0, Duration.ofMillis(493)));
    d.refused(A, Rejection.TOO_MANY_COMBINATIONS, at(10_000));
    assertThat(d.sweep(at(10_000 + 11_999))).isEmpty();
    assertThat(d.sweep(at(10_000 + 12_000))).containsExactly(new HuntDetector.Report(
        HuntDetector.Kind.SCAN, true, A, 500, 1, 0, 0, Duration.ofMillis(10_000)));
    assertThat(d.sweep(at(60_000))).isEmpty();
    assertThat(d.size()).isZero();
  }

  @Test
  void aSweepThatStopsAtTheFirstWindowNotDueStillAlertsEveryWindowThatCrossed() {
    assertThat(d.sweep(at(0))).isEmpty(); // walks every window: the next ones within 1 s do not
    d.packet(A, 20000, at(10)); // the least recently seen window, not due
    for (int i = 0; i < 100; i++) {
      d.packet(B, 20000 + i, at(20 + i));
    }
    d.refused(C, Rejection.BAD_TAG, at(130));
    d.refused(C, Rejection.BAD_TAG, at(131));
    d.refused(C, Rejection.REPLAY, at(132));
    assertThat(d.sweep(at(250))).extracting(HuntDetector.Report::kind,
        HuntDetector.Report::source, HuntDetector.Report::end).containsExactly(
            org.assertj.core.groups.Tuple.tuple(HuntDetector.Kind.SCAN, B, false),
            org.assertj.core.groups.Tuple.tuple(HuntDetector.Kind.KNOCK_HUNT, C, false));
    assertThat(d.sweep(at(500))).as("each alerted once").isEmpty();
  }

  @Test
  void aWindowDueBehindOneThatIsNotClosesWithinASecond() {
    for (int i = 0; i < 100; i++) {
      d.packet(A, 20000 + i, at(i));
    }
    assertThat(d.sweep(at(100))).extracting(HuntDetector.Report::end).containsExactly(false);
    d.packet(B, 20000, at(5_000));
    d.completed(A); // A is now the most recently seen, but quiet since 99 ms
    assertThat(d.sweep(at(11_600))).isEmpty(); // walks every window; nothing due
    assertThat(d.sweep(at(12_099))).isEmpty();
    // A is due from 12,099 ms on, behind B (not due): the walk stops at B until it walks all
    assertThat(d.sweep(at(12_100))).isEmpty();
    assertThat(d.sweep(at(12_599))).isEmpty();
    assertThat(d.sweep(at(12_600))).containsExactly(new HuntDetector.Report(
        HuntDetector.Kind.SCAN, true, A, 100, 0, 0, 0, Duration.ofMillis(99)));
    assertThat(d.size()).isEqualTo(1);
  }

  @Test
  void belowTheThresholdNothingIsAlerted() {
    for (int i = 0; i < 99; i++) {
      d.packet(A, 20000 + i, at(i));
      assertThat(d.sweep(at(i))).isEmpty();
    }
    d.refused(A, Rejection.BAD_TAG, at(100));
    d.refused(A, Rejection.REPLAY, at(101));
    assertThat(d.sweep(at(101))).isEmpty();
    d.packet(A, 20099, at(102));
    assertThat(d.sweep(at(102))).extracting(HuntDetector.Report::kind, HuntDetector.Report::end,
        HuntDetector.Report::ports).containsExactly(
            org.assertj.core.groups.Tuple.tuple(HuntDetector.Kind.SCAN, false, 100));
    d.refused(A, Rejection.BAD_TAG, at(103)); // a hunt now, but the window was alerted once
    assertThat(d.sweep(at(103))).isEmpty();
    assertThat(d.sweep(at(103 + 12_000))).containsExactly(new HuntDetector.Report(
        HuntDetector.Kind.KNOCK_HUNT, true, A, 100, 3, 2, 1, Duration.ofMillis(103)));
  }

  @Test
  void aLongScanIsAlertedOncePerInterval() {
    List<HuntDetector.Report<Integer>> reports = new ArrayList<>();
    for (int i = 0; i < 1500; i++) { // one port every 100 ms for 150 s
      d.packet(A, 20000 + i, at(i * 100L));
      reports.addAll(d.sweep(at(i * 100L)));
    }
    reports.addAll(d.sweep(at(150_000 + 12_000)));
    assertThat(reports).extracting(HuntDetector.Report::end).containsExactly(false, true, false,
        true, false, true);
    assertThat(reports).extracting(HuntDetector.Report::ports).containsExactly(100, 600, 100, 600,
        100, 300);
    assertThat(reports).extracting(HuntDetector.Report::interval).containsExactly(
        Duration.ofMillis(9_900), Duration.ofMillis(59_900), Duration.ofMillis(9_900),
        Duration.ofMillis(59_900), Duration.ofMillis(9_900), Duration.ofMillis(29_900));
  }

  @Test
  void knocksAndAFewMistakesAreNoHunt() {
    for (int k = 0; k < 4; k++) { // four knocks of 20 ports, two of them wrong, then one right
      for (int i = 0; i < 20; i++) {
        d.packet(A, 20000 + k * 1000 + i, at(k * 2000 + i));
      }
    }
    d.refused(A, Rejection.BAD_TAG, at(9000));
    d.refused(A, Rejection.REPLAY, at(9500));
    d.completed(A);
    for (int i = 0; i < 40; i++) { // more ports after the knock: still no scan (it completed)
      d.packet(A, 24000 + i, at(10_000 + i));
    }
    assertThat(d.sweep(at(100_000))).isEmpty();
  }

  @Test
  void repeatedBadTagsAndReplaysAreAKnockHunt() {
    d.refused(B, Rejection.BAD_TAG, at(0));
    d.refused(B, Rejection.STALE, at(1000));
    d.refused(B, Rejection.FUTURE, at(2000));
    d.refused(B, Rejection.REPLAY, at(3000));
    assertThat(d.sweep(at(3000 + 12_000))).containsExactly(
        new HuntDetector.Report(HuntDetector.Kind.KNOCK_HUNT, false, B, 0, 4, 1, 2,
            Duration.ofMillis(3000)),
        new HuntDetector.Report(HuntDetector.Kind.KNOCK_HUNT, true, B, 0, 4, 1, 2,
            Duration.ofMillis(3000)));
  }

  @Test
  void aHuntOutranksAScanAndSourcesAreApart() {
    for (int i = 0; i < 150; i++) {
      d.packet(A, 20000 + i, at(i));
      d.packet(B, 20000 + i, at(i));
    }
    for (int i = 0; i < 3; i++) {
      d.refused(A, Rejection.BAD_TAG, at(200));
    }
    assertThat(d.sweep(at(20_000))).extracting(HuntDetector.Report::kind,
        HuntDetector.Report::source, HuntDetector.Report::end).containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(HuntDetector.Kind.KNOCK_HUNT, A, false),
            org.assertj.core.groups.Tuple.tuple(HuntDetector.Kind.KNOCK_HUNT, A, true),
            org.assertj.core.groups.Tuple.tuple(HuntDetector.Kind.SCAN, B, false),
            org.assertj.core.groups.Tuple.tuple(HuntDetector.Kind.SCAN, B, true));
  }

  @Test
  void distinctPortsCountOnceBothAsAShortListAndAsBits() {
    int n = HuntDetector.FEW + 8; // past the list's length: the window holds bits from then on
    HuntDetector<Integer> h = HuntDetector.ipv4(20000, 25119, Duration.ofMinutes(1),
        Duration.ofSeconds(12), n + 1, 3, 8);
    for (int round = 0; round < 3; round++) { // each port three times, in three orders
      for (int i = 0; i < n; i++) {
        int k = round == 1 ? n - 1 - i : (i * 7) % n;
        h.packet(A, k == 0 ? 25119 : 20000 + k * 97, at(round * 100 + i));
      }
      assertThat(h.sweep(at(round * 100 + 99))).as("round %d: %d distinct ports", round, n)
          .isEmpty();
    }
    h.packet(A, 20000, at(400)); // the first port of the range: new
    assertThat(h.sweep(at(401))).containsExactly(new HuntDetector.Report<>(
        HuntDetector.Kind.SCAN, false, A, n + 1, 0, 0, 0, Duration.ofMillis(400)));
  }

  @Test
  void portsOutsideTheRangeDoNotCount() {
    for (int i = 0; i < 200; i++) {
      d.packet(A, 30000 + i, at(i));
    }
    assertThat(d.size()).isZero();
    assertThat(d.sweep(at(20_000))).isEmpty();
  }

  @Test
  void memoryIsBoundedAndAnEvictedScannerIsStillReported() {
    for (int i = 0; i < 120; i++) {
      d.packet(A, 20000 + i, at(i));
    }
    for (int s = 1; s <= 100; s++) { // a spoofed flood: 100 sources of one port each
      d.packet(A + s, 21000, at(200 + s));
      assertThat(d.size()).isLessThanOrEqualTo(8);
    }
    assertThat(d.sweep(at(400))).containsExactly(
        new HuntDetector.Report(HuntDetector.Kind.SCAN, false, A, 120, 0, 0, 0,
            Duration.ofMillis(119)),
        new HuntDetector.Report(HuntDetector.Kind.SCAN, true, A, 120, 0, 0, 0,
            Duration.ofMillis(119)));
  }

  @Test
  void aSourceThatComesBackAfterQuietStartsANewWindow() {
    for (int i = 0; i < 100; i++) {
      d.packet(A, 20000 + i, at(i));
    }
    d.packet(A, 25000, at(30_000)); // quiet for 30 s: the first window closes here
    assertThat(d.sweep(at(30_000))).extracting(HuntDetector.Report::ports).containsExactly(100,
        100);
    assertThat(d.sweep(at(60_000))).isEmpty(); // the new window holds one port
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> HuntDetector.ipv4(2, 1, Duration.ofMinutes(1), Duration.ofSeconds(1),
        1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HuntDetector.ipv4(1, 2, Duration.ofSeconds(1), Duration.ofMinutes(1),
        1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theSmallestSettingsAreAllowed() {
    Duration m = Duration.ofMinutes(1);
    HuntDetector<Integer> one = HuntDetector.ipv4(20000, 20000, m, m, 1, 1, 1);
    one.packet(A, 20000, at(0));
    assertThat(one.size()).isEqualTo(1);
    assertThat(one.sweep(at(1))).extracting(HuntDetector.Report::ports).containsExactly(1);
    assertThatThrownBy(() -> HuntDetector.ipv4(20000, 19999, m, m, 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HuntDetector.ipv4(20000, 20000, m, m, 0, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HuntDetector.ipv4(20000, 20000, m, m, 1, 0, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HuntDetector.ipv4(20000, 20000, m, m, 1, 1, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HuntDetector.ipv4(20000, 20000, m, m.plusMillis(1), 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theRangesFirstAndLastPortCountAndItsNeighboursDoNot() {
    HuntDetector<Integer> h = HuntDetector.ipv4(20000, 20003, Duration.ofMinutes(1), Duration.ofSeconds(12),
        4, 3, 8);
    h.packet(A, 19999, at(0));
    h.packet(A, 20004, at(0));
    assertThat(h.size()).isZero();
    for (int p = 20000; p <= 20003; p++) {
      h.packet(A, p, at(1));
    }
    assertThat(h.sweep(at(2))).extracting(HuntDetector.Report::ports).containsExactly(4);
  }

  @Test
  void ipv6SourcesAreKeyedByAddressAndOneSlash64CannotCloseEverybodyElsesWindows() {
    HuntDetector<Ipv6Address> six = new HuntDetector<>(20000, 25119, Duration.ofMinutes(1),
        Duration.ofSeconds(12), 100, 3, 8, a -> a.hi(), 3);
    Ipv6Address other = new Ipv6Address(0x20010db800020000L, 7);
    for (int p = 0; p < 100; p++) { // a scan from another /64
      six.packet(other, 20000 + p, at(p));
    }
    List<HuntDetector.Report<Ipv6Address>> reports = new ArrayList<>();
    for (int s = 1; s <= 50; s++) { // 50 scanners of one /64, 100 ports each
      Ipv6Address a = new Ipv6Address(0x20010db800010000L, s);
      for (int p = 0; p < 100; p++) {
        six.packet(a, 20000 + p, at(1000 + s * 100 + p));
      }
      assertThat(six.size()).as("windows after scanner %d", s).isLessThanOrEqualTo(4);
    }
    reports.addAll(six.sweep(at(7000)));
    assertThat(six.size()).isEqualTo(4); // the other /64's window and the flood's newest 3
    assertThat(six.groups()).isEqualTo(2);
    // the flood's windows closed early are reported, each an alert and a summary
    assertThat(reports).filteredOn(r -> r.source().hi() == 0x20010db800010000L)
        .hasSize(2 * 47 + 3);
    assertThat(reports).filteredOn(r -> r.source().equals(other)).singleElement()
        .extracting(HuntDetector.Report::kind, HuntDetector.Report::end)
        .containsExactly(HuntDetector.Kind.SCAN, false);
    reports = six.sweep(at(7000 + 12_000)); // all quiet: closing summaries, groups emptied
    assertThat(reports).extracting(HuntDetector.Report::end).containsOnly(true).hasSize(4);
    assertThat(six.size()).isZero();
    assertThat(six.groups()).isZero();
  }

  @Test
  void aWindowClosedForRoomThatWasItsGroupsLastStillLeavesTheNewOneCountedInTheGroup() {
    // groups by the third byte; at most 2 windows a group, 3 in all; every port is a scan
    HuntDetector<Integer> h = new HuntDetector<>(20000, 25119, Duration.ofMinutes(1),
        Duration.ofSeconds(12), 1, 3, 3, source -> source >>> 8, 2);
    int x = 0x0A000101; // group 0x0A0001
    h.packet(x, 20000, at(0));
    h.packet(0x0A000201, 20000, at(1));
    h.packet(0x0A000301, 20000, at(2));
    // full: a second source of x's group takes the room of the eldest, x, its group's only one
    // (before, that emptied the group's list and the new window was counted in none)
    for (int s = 2; s <= 4; s++) {
      h.packet(0x0A000100 + s, 20000, at(2 + s));
    }
    h.sweep(at(7)); // the windows closed for room, and the alerts of those held
    assertThat(h.closeAll()).filteredOn(r -> r.source() >>> 8 == 0x0A0001)
        .extracting(HuntDetector.Report::source).as("the group's windows held at the end")
        .containsExactly(0x0A000103, 0x0A000104);
  }

  /** A detector whose sources all fall in one group, at most {@code perGroup} windows of it. */
  private static HuntDetector<Integer> grouped(int maxSources, int perGroup) {
    return new HuntDetector<>(20000, 25119, Duration.ofMinutes(1), Duration.ofSeconds(12), 100, 3,
        maxSources, source -> "one group", perGroup);
  }

  @Test
  void aGroupOfOneWindowHoldsOneSourceAtATime() {
    HuntDetector<Integer> g = grouped(8, 1);
    g.packet(A, 20000, at(0));
    assertThat(g.size()).isEqualTo(1);
    g.packet(B, 20000, at(1)); // B's window closes A's
    assertThat(g.size()).isEqualTo(1);
  }

  @Test
  void aWindowThatClosedForQuietLeavesItsGroup() {
    HuntDetector<Integer> g = grouped(8, 2);
    g.packet(A, 20000, at(0));
    g.packet(A, 20001, at(12_000)); // quiet for 12 s: A's window closes, a new one opens
    g.packet(B, 20000, at(12_001)); // the group holds A once: room for B
    assertThat(g.size()).isEqualTo(2);
  }

  @Test
  void aWindowClosedForRoomLeavesItsGroup() {
    HuntDetector<Integer> g = grouped(1, 2);
    g.packet(A, 20000, at(0));
    g.packet(B, 20000, at(1)); // one window at most: A's closes
    g.packet(C, 20000, at(2)); // and B's
    assertThat(g.size()).isEqualTo(1);
  }
}
