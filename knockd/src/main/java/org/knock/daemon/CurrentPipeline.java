package org.knock.daemon;

import org.knock.daemon.log.LoggedPacket;
import org.knock.daemon.log.PacketHandler;

/**
 * Hands each packet to the pipeline now in place (a reload puts in another). One class for the
 * daemon and for JitWarmup, so that the parser's call into its handler, compiled during the
 * warm-up, meets the same classes at the first real knock (a lambda of its own in each would
 * deoptimize that knock's parse). Read and set under the daemon's lock.
 */
final class CurrentPipeline implements PacketHandler {
  private KnockPipeline pipeline;

  CurrentPipeline(KnockPipeline pipeline) {
    this.pipeline = pipeline;
  }

  /** The pipeline in place; null before the first. */
  KnockPipeline get() {
    return pipeline;
  }

  void set(KnockPipeline next) {
    this.pipeline = next;
  }

  @Override
  public void onPacket(LoggedPacket p) {
    pipeline.onPacket(p);
  }
}
