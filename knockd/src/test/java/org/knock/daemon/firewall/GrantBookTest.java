package org.knock.daemon.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.knock.core.Durations;

class GrantBookTest {
  @Test
  void aGrantLastsFromOneSecondToTheLongestDurationAKnockCarries() {
    assertThat(GrantBook.checked(Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(1));
    assertThat(GrantBook.checked(Durations.MAX)).isEqualTo(Durations.MAX);
    assertThatThrownBy(() -> GrantBook.checked(Durations.MAX.plusSeconds(1)))
        .hasMessageContaining("at most " + Durations.MAX_COUNT + " days");
    assertThatThrownBy(() -> GrantBook.checked(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GrantBook.checked(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
