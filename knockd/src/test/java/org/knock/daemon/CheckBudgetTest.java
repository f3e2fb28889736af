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
      if (b.take(heavy, 0, false)) {
        heavyTaken++;
      }
    }
    assertThat(heavyTaken).isEqualTo(50); // the first half, then its share (one source: half)
    assertThat(b.take(new CheckBudget.Account(), 1, false)).isTrue();
  }

  @Test
  void aNewSecondStartsAfresh() {
    CheckBudget b = new CheckBudget(100, 10);
    CheckBudget.Account a = new CheckBudget.Account();
    while (b.take(a, 999, true)) {
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
}
