package org.knock.client;

/**
 * Runs Bouncy Castle's one-time set-up on a daemon thread started first thing in {@code main}, so
 * that the machine's second core does it while the main thread parses the options, reads the rc
 * file, looks up the addresses and reads the key file. The first Bouncy Castle digest or engine
 * calls {@code CryptoServicesRegistrar.checkConstraints}, whose static initialiser starts
 * java.util.logging, reads the security properties and builds DSA/DH parameters: ~15 ms, the
 * largest single cost of a knock's start-up, which the main thread would otherwise spend before
 * its first HKDF. Nothing is computed here and nothing shared but the initialised classes: a main
 * thread that gets there meanwhile waits for the same class initialisation, which the JVM runs
 * once. A failure here is left for the main thread to meet, and report, where it needs the class.
 */
final class CryptoWarmUp implements Runnable {
  static final String REGISTRAR = "org.bouncycastle.crypto.CryptoServicesRegistrar";

  private CryptoWarmUp() {}

  /** Starts the set-up unless the command line asks for help or the version only. */
  static void start(String[] args) {
    if (wanted(args)) {
      Thread t = new Thread(new CryptoWarmUp(), "knock-crypto-warm-up");
      t.setDaemon(true);
      t.start();
    }
  }

  /** False for help and the version, which need no cryptography. */
  static boolean wanted(String[] args) {
    for (String a : args) {
      if (a.startsWith("-h") || a.equals("--help") || a.startsWith("-V")
          || a.equals("--version")) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void run() {
    try {
      Class.forName(REGISTRAR, true, CryptoWarmUp.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      // the main thread meets the same problem where it needs the class
    }
  }
}
