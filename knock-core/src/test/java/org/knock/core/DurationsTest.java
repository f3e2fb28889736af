package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void wireFormRoundTripsEveryUnit() {
    for (long s : new long[] {0, 1, 59, 16383, 16440, 60 * 16383, 3600 * 16383, 86400L * 16383}) {
      Duration d = Duration.ofSeconds(s);
      assertThat(Durations.decode(Durations.encode(d))).isEqualTo(d);
    }
  }

  @Test
  void picksTheFinestUnitThatFits() {
    assertThat(Durations.encode(Duration.ofSeconds(30))).isEqualTo(30);
    // 18000 s does not fit 14 bits of seconds, so it travels as 300 minutes (unit 1)
    assertThat(Durations.encode(Duration.ofMinutes(300))).isEqualTo((1 << 14) | 300);
  }

  @Test
  void formatsWithTheLargestExactUnit() {
    assertThat(Durations.format(Duration.ofSeconds(1800))).isEqualTo("30m");
    assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(Durations.format(Duration.ofDays(2))).isEqualTo("2d");
  }
}
