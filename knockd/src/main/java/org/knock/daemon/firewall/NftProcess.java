package org.knock.daemon.firewall;

import java.util.ArrayList;
import java.util.List;

/** {@link Nft} by one {@code nft} process per call, the script on its stdin. */
final class NftProcess implements Nft {
  private final Commands commands;

  NftProcess(Commands commands) {
    this.commands = commands;
  }

  @Override
  public void apply(String script) throws FirewallException {
    commands.require(List.of("nft", "-f", "-"), script);
  }

  @Override
  public String list(List<String> args) throws FirewallException {
    return run(List.of("nft", "list"), args);
  }

  @Override
  public String listJson(List<String> args) throws FirewallException {
    return run(List.of("nft", "-j", "list"), args);
  }

  private String run(List<String> command, List<String> args) throws FirewallException {
    List<String> argv = new ArrayList<>(command);
    argv.addAll(args);
    return commands.require(argv, null).out();
  }
}
