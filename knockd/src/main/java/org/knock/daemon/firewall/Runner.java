package org.knock.daemon.firewall;

import java.time.Duration;
import java.util.List;
import org.knock.daemon.exec.CommandRunner;

/** Runs one program; {@link CommandRunner#run} in production, a recording fake in tests. */
@FunctionalInterface
interface Runner {
  CommandRunner.Result run(List<String> argv, Duration timeout, String stdin);
}
