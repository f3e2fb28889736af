package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CheckBudgetTest {
  @Test
  void packetsNeverSpendMoreThanThreeQuartersOfASecondsBudget() {
    CheckBudget b = new CheckBudget(1000, 10); // 100 messages a second
    CheckBudget.Account[] sources = new CheckBudget.Account[50];
    int taken = 0;
    for (int round = 0; round < 10; round++) {
      for (int i = 0; i < sources.length; i++) {
        if (sources[i] == null) {
          sources[i] = new CheckBudget.Account();
        }
        if (b.take(sources[i], 5_000 + round, false)) {
          taken++;
        }
      }
    }
    assertThat(taken * 10L).isLessThanOrEqualTo(750);
    assertThat(b.spentThisSecond()).isEqualTo(taken * 10L);
    // the sweep's quarter is still there for an owed check
    assertThat(b.take(new CheckBudget.Account(), 5_100, true)).isTrue();
  }

  @Test
  void pastHalfAHeavySourceRunsIntoItsShareAndALightOneStillGetsIn() {
    CheckBudget b = new CheckBudget(1000, 10);
    CheckBudget.Account heavy = new CheckBudget.Account();
    int heavyTaken = 0;
    for (int i = 0; i < 100; i++) {
      if (b.take(heavy, 900, false)) { // late in the second: the pacing allows it all
        heavyTaken++;
      }
    }
    assertThat(heavyTaken).isEqualTo(50); // the first half, then its share (one source: half)
    assertThat(b.take(new CheckBudget.Account(), 901, false)).isTrue();
  }

  @Test
  void theBudgetIsPacedThroughTheSecond() {
    CheckBudget b = new CheckBudget(1000, 10);
    CheckBudget.Account[] many = new CheckBudget.Account[100];
    int early = 0;
    for (int i = 0; i < many.length; i++) {
      many[i] = new CheckBudget.Account();
      if (b.take(many[i], 0, false)) { // at the start of a second: 100 ms ahead, 10 %
        early++;
      }
    }
    assertThat(early).isEqualTo(10);
    int later = 0;
    for (int i = 0; i < many.length; i++) {
      if (b.take(many[i], 200, false)) { // 300 ms of budget by 200 ms into the second
        later++;
      }
    }
    assertThat(early + later).isLessThanOrEqualTo(30);
  }

  @Test
  void aNewSecondStartsAfresh() {
    CheckBudget b = new CheckBudget(100, 10);
    CheckBudget.Account a = new CheckBudget.Account();
    while (b.take(a, 999, true)) { // the end of the second: all of it
      assertThat(b.spentThisSecond()).isLessThanOrEqualTo(100);
    }
    assertThat(b.spentThisSecond(a, 999)).isEqualTo(100);
    assertThat(b.take(a, 1000, false)).isTrue();
    assertThat(b.spentThisSecond(a, 1000)).isEqualTo(10);
  }

  @Test
  void oneMessageIsAlwaysPossibleEvenIfItCostsMoreThanTheBudget() {
    CheckBudget b = new CheckBudget(100, 1000);
    assertThat(b.take(new CheckBudget.Account(), 0, false)).isTrue();
    assertThat(b.take(new CheckBudget.Account(), 1, false)).isFalse();
    assertThat(b.refused()).isEqualTo(1);
  }

  /** Takes single messages for {@code a} at {@code t} until refused; how many it got. */
  private static int drain(CheckBudget b, CheckBudget.Account a, long t) {
    int n = 0;
    while (n < 1000 && b.take(a, t, false)) {
      n++;
    }
    return n;
  }

  @Test
  void packetsGetExactlyThreeQuartersOfASecondWhenThePacingAllowsIt() {
    CheckBudget b = new CheckBudget(1000, 10);
    int taken = 0;
    for (int i = 0; i < 100; i++) { // 100 sources, one message each, late in the second
      if (b.take(new CheckBudget.Account(), 7_900, false)) {
        taken++;
      }
    }
    assertThat(taken).isEqualTo(75);
    assertThat(b.refused()).isEqualTo(25);
  }

  @Test
  void thePacingAllowsExactlyWhatTheClockHasReached() {
    CheckBudget b = new CheckBudget(1000, 10);
    int taken = 0;
    for (int i = 0; i < 100; i++) {
      if (b.take(new CheckBudget.Account(), 5_200, false)) { // 200 ms in, 100 ms ahead: 30 %
        taken++;
      }
    }
    assertThat(taken).isEqualTo(30);
  }

  @Test
  void theFirstHalfIsFirstComeFirstServedToTheLastMessage() {
    CheckBudget b = new CheckBudget(1000, 10);
    assertThat(b.take(new CheckBudget.Account(), 900, false)).isTrue();
    // 490 spent: one more message reaches exactly half, with no share asked
    assertThat(drain(b, new CheckBudget.Account(), 900)).isEqualTo(49);
  }

  @Test
  void pastHalfTheShareCountsTheSourcesOfThisSecondAndTheLast() {
    CheckBudget b = new CheckBudget(1000, 10);
    for (int i = 0; i < 4; i++) { // second 0: four sources
      b.take(new CheckBudget.Account(), 900, false);
    }
    CheckBudget.Account heavy = new CheckBudget.Account();
    assertThat(drain(b, heavy, 1_900)).isEqualTo(50); // second 1: the first half
    b.take(new CheckBudget.Account(), 1_900, false);
    // three sources now, four the second before: a share is 1000 / (2 * 4) = 125 checks
    assertThat(drain(b, new CheckBudget.Account(), 1_900)).isEqualTo(12);
  }

  @Test
  void aSecondWithNothingBeforeItCountsOnlyItsOwnSources() {
    CheckBudget b = new CheckBudget(1000, 10);
    for (int i = 0; i < 4; i++) {
      b.take(new CheckBudget.Account(), 900, false);
    }
    CheckBudget.Account heavy = new CheckBudget.Account();
    assertThat(drain(b, heavy, 2_900)).isEqualTo(50); // second 2: second 1 had no sources
    b.take(new CheckBudget.Account(), 2_900, false);
    // three sources: a share is 1000 / (2 * 3) = 166 checks
    assertThat(drain(b, new CheckBudget.Account(), 2_900)).isEqualTo(16);
  }

  @Test
  void earlyInASecondTheSweepGetsThePacingPlusItsQuarterAndNoMore() {
    CheckBudget b = new CheckBudget(1000, 10);
    int taken = 0;
    for (int i = 0; i < 100; i++) { // 0 ms in: 100 ms ahead (10 %) plus the sweep's quarter
      if (b.take(new CheckBudget.Account(), 5_000, true)) {
        taken++;
      }
    }
    assertThat(taken).isEqualTo(35);
    assertThat(b.refused()).isEqualTo(65);
  }

  @Test
  void everyRefusalOfAShareIsCounted() {
    CheckBudget b = new CheckBudget(1000, 10);
    CheckBudget.Account heavy = new CheckBudget.Account();
    for (int i = 0; i < 60; i++) {
      b.take(heavy, 900, false);
    }
    assertThat(b.refused()).isEqualTo(10); // 50 taken, then 10 refused by its share
  }
}
