package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The benchmark's median: round 0 (the warm-up) left out, the middle of the rest. */
class IngestBenchTest {
  @Test
  void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertThat(IngestBench.median(new double[] {99, 4, 1, 3, 2})).isEqualTo(2.5);
    assertThat(IngestBench.median(new double[] {99, 5, 1, 3})).isEqualTo(3);
  }
}
