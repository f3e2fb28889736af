package org.knock.daemon.log;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Sets or clears O_NONBLOCK on a file descriptor through the JDK's own {@code
 * sun.nio.ch.IOUtil.configureBlocking}, which Java 17 offers no public API for. Works only when
 * the JVM exports that package to knockd ({@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED},
 * as bin/knockd does); otherwise {@link #set} returns false and changes nothing.
 */
final class NonBlocking {
  private static final MethodHandle CONFIGURE = find();

  private NonBlocking() {}

  private static MethodHandle find() {
    try {
      return MethodHandles.lookup().findStatic(Class.forName("sun.nio.ch.IOUtil"),
          "configureBlocking", MethodType.methodType(void.class, FileDescriptor.class,
              boolean.class));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null; // not exported to us: reads stay blocking
    }
  }

  /** True if reads from {@code fd} are now non-blocking ({@code on}) or blocking (not on). */
  static boolean set(FileDescriptor fd, boolean on) {
    if (CONFIGURE == null) {
      return false;
    }
    try {
      CONFIGURE.invokeExact(fd, !on);
      return true;
    } catch (Throwable e) {
      return false;
    }
  }

  /** True if {@link #set} can work in this JVM. */
  static boolean available() {
    return CONFIGURE != null;
  }
}
