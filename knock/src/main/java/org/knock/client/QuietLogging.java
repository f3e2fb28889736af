package org.knock.client;

/**
 * An empty java.util.logging configuration for the client process. Bouncy Castle's
 * {@code CryptoServicesRegistrar}, which every digest and engine initialises, starts
 * java.util.logging in its static initialiser; the client itself logs nothing through it. By
 * default that start reads the JDK's {@code logging.properties}, resets the log manager and walks
 * its properties (levels looked up with streams, a console handler named), ~1.5 ms of CPU on the
 * path of every knock. {@link #install()} names this class as {@code java.util.logging.config
 * .class}, whose constructor is then all the configuration there is: no handlers, the root
 * logger at INFO. Bouncy Castle's only message on the client's classes ("attempt to override
 * pre-configured constraints ignored", from a method the client never calls) would go nowhere.
 * A configuration the user names ({@code -Djava.util.logging.config.class} or {@code .file}, e.g.
 * through KNOCK_JAVA_OPTS) is left in place.
 */
public final class QuietLogging {
  static final String CONFIG_CLASS = "java.util.logging.config.class";
  static final String CONFIG_FILE = "java.util.logging.config.file";

  /** Called by java.util.logging's LogManager, once, instead of reading a configuration. */
  public QuietLogging() {
    // no configuration: no handlers, default levels
  }

  /**
   * Names this class as the logging configuration unless one is named already. Must run before
   * anything starts java.util.logging (first thing in {@code main}, before {@link CryptoWarmUp}).
   */
  static void install() {
    if (System.getProperty(CONFIG_CLASS) == null && System.getProperty(CONFIG_FILE) == null) {
      System.setProperty(CONFIG_CLASS, QuietLogging.class.getName());
    }
  }
}
