package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CryptoWarmUpTest {
  @Test
  void everyCommandButHelpAndVersionWarmsUp() {
    assertThat(CryptoWarmUp.wanted(new String[] {"host", "open 22"})).isTrue();
    assertThat(CryptoWarmUp.wanted(new String[] {"--print", "host", "open 22"})).isTrue();
    assertThat(CryptoWarmUp.wanted(new String[] {"keygen"})).isTrue();
    assertThat(CryptoWarmUp.wanted(new String[] {"-h"})).isFalse();
    assertThat(CryptoWarmUp.wanted(new String[] {"--help"})).isFalse();
    assertThat(CryptoWarmUp.wanted(new String[] {"-V"})).isFalse();
    assertThat(CryptoWarmUp.wanted(new String[] {"-v", "--version"})).isFalse();
  }

  @Test
  void theRegistrarItInitialisesIsOnTheClassPath() throws Exception {
    // a renamed or moved Bouncy Castle class would make the warm-up a silent no-op
    Class<?> c = Class.forName(CryptoWarmUp.REGISTRAR, false, getClass().getClassLoader());
    assertThat(c.getMethod("checkConstraints",
        Class.forName("org.bouncycastle.crypto.CryptoServiceProperties"))).isNotNull();
  }
}
