package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NonceSourceTest {
  @TempDir Path dir;

  @Test
  void readsEightBytesOfTheDeviceBigEndianPerValue() throws Exception {
    Path dev = dir.resolve("dev");
    Files.write(dev, new byte[] {1, 2, 3, 4, 5, 6, 7, (byte) 0x88, 9, 9});
    NonceSource n = new NonceSource(dev.toString());
    // each value opens the device afresh: the same first 8 bytes again
    assertThat(n.nextLong()).isEqualTo(0x0102030405060788L);
    assertThat(n.nextLong()).isEqualTo(0x0102030405060788L);
    assertThat(n.fellBack()).isFalse();
  }

  @Test
  void urandomGivesDistinctNoncesInRange() {
    NonceSource n = new NonceSource();
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int v = n.nextInt(1 << 24);
      assertThat(v).isBetween(0, (1 << 24) - 1);
      seen.add(v);
    }
    assertThat(n.fellBack()).isFalse();
    assertThat(seen.size()).isGreaterThan(190); // 200 draws of 24 bits rarely collide
  }

  @Test
  void aMissingOrShortDeviceFallsBackToSecureRandom() throws Exception {
    NonceSource missing = new NonceSource(dir.resolve("none").toString());
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      seen.add(missing.nextLong());
    }
    assertThat(missing.fellBack()).isTrue();
    assertThat(seen).hasSize(20);

    Path shortDev = dir.resolve("short");
    Files.write(shortDev, new byte[] {1, 2, 3});
    NonceSource s = new NonceSource(shortDev.toString());
    long v = s.nextLong();
    assertThat(s.fellBack()).isTrue();
    assertThat(v).isNotEqualTo(0x0102030000000000L);
  }
}
