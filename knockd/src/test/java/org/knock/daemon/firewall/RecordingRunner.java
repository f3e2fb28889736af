package org.knock.daemon.firewall;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.knock.daemon.exec.CommandRunner;

/** A {@link Runner} that records each call and answers with a scripted result (default: success). */
final class RecordingRunner implements Runner {
  /** One recorded call. */
  record Call(List<String> argv, Duration timeout, String stdin) {}

  final List<Call> calls = new ArrayList<>();
  private Function<Call, CommandRunner.Result> answer = c -> ok("");

  static CommandRunner.Result ok(String out) {
    return new CommandRunner.Result(0, out, "", false);
  }

  static CommandRunner.Result fail(int exit, String err) {
    return new CommandRunner.Result(exit, "", err, false);
  }

  RecordingRunner answering(Function<Call, CommandRunner.Result> answer) {
    this.answer = answer;
    return this;
  }

  @Override
  public CommandRunner.Result run(List<String> argv, Duration timeout, String stdin) {
    Call c = new Call(List.copyOf(argv), timeout, stdin);
    calls.add(c);
    return answer.apply(c);
  }

  List<List<String>> argvs() {
    return calls.stream().map(Call::argv).toList();
  }
}
