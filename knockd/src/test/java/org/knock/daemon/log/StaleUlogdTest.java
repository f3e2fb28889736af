package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StaleUlogdTest {
  @Test
  void onlyTheCommandLineNflogSourceWritesIsKnockds() {
    assertThat(StaleUlogd.startedByKnockd(List.of("-c", "/tmp/knockd-ulogd-123/ulogd.conf")))
        .isTrue();
    assertThat(StaleUlogd.startedByKnockd(List.of("-c", "/etc/ulogd.conf"))).isFalse();
    assertThat(StaleUlogd.startedByKnockd(List.of("-c", "/tmp/knockd-ulogd-1/other.conf")))
        .isFalse();
    assertThat(StaleUlogd.startedByKnockd(List.of("-d", "/tmp/knockd-ulogd-1/ulogd.conf")))
        .isFalse();
    assertThat(StaleUlogd.startedByKnockd(List.of())).isFalse();
    assertThat(StaleUlogd.startedByKnockd(
        List.of("-c", "/tmp/knockd-ulogd-1/ulogd.conf", "-v"))).isFalse();
  }

  @Test
  void aUlogdWhoseParentIsAJavaProcessStillHasItsKnockd() {
    assertThat(StaleUlogd.orphaned(Optional.of(ProcessHandle.current())))
        .as("this test's JVM is java").isFalse();
    assertThat(StaleUlogd.orphaned(Optional.empty())).isTrue();
    assertThat(StaleUlogd.orphaned(ProcessHandle.of(1))).isTrue();
  }
}
