package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * README "See it work in 30 seconds": {@code sudo bin/demo} shows port 22 closed, open after the
 * knock, closed again after the kernel expired the grant, then an audit log with the knock, and
 * removes the namespaces it made.
 */
@Timeout(90)
class DemoIT {
  @Test
  void theDemoShowsClosedOpenClosedAndCleansUp() {
    Netns.Result r = Netns.run(List.of(Lab.script("demo")), 60).ok();
    List<String> states = Pattern.compile("port 22 from the client: (\\w+)").matcher(r.out())
        .results().map(m -> m.group(1)).toList();
    assertThat(states).as(r.out() + r.err()).containsExactly("closed", "open", "closed");
    assertThat(r.out()).contains("event=knock-accepted").contains("event=access-granted")
        .contains("event=access-expired");
    Matcher leftover = Pattern.compile("knockdemo-").matcher(
        Netns.run(List.of("ip", "netns", "list"), 10).ok().out());
    assertThat(leftover.find()).as("namespaces left behind").isFalse();
  }
}
