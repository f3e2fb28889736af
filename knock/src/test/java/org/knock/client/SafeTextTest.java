package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SafeTextTest {
  @Test
  void plainTextAndLettersStayAsTheyAre() {
    assertThat(SafeText.of("/home/zoë/.knock/key: 東京 ok")).isEqualTo("/home/zoë/.knock/key: 東京 ok");
  }

  @Test
  void controlAndBidiCharactersAreEscaped() {
    assertThat(SafeText.of("a\u001b[31mb\nc\td\u007fe\u0085")).isEqualTo(
        "a\\x1b[31mb\\x0ac\\x09d\\x7fe\\x85");
    assertThat(SafeText.of("evil\u202Egnp.exe \u2066x\u2069 \u200E\u061C"))
        .isEqualTo("evil\\u202egnp.exe \\u2066x\\u2069 \\u200e\\u061c");
    assertThat(SafeText.of("l\u2028p\u2029 bom\uFEFF")).isEqualTo("l\\u2028p\\u2029 bom\\ufeff");
    assertThat(SafeText.of("lone \uD800 tag \uDB40\uDC01")).isEqualTo("lone \\ud800 tag \\U000e0001");
  }
}
