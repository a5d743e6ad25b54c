package io.clip4j.kernel;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Lowers the operating-system priority of the calling thread, for work that should only use otherwise idle CPU (the
 * kernel warm-up). Java's thread priorities do nothing on Linux (the JVM ignores them unless run as root with
 * -XX:ThreadPriorityPolicy=1), but a Linux thread may raise its own nice value without privileges:
 * {@code setpriority(PRIO_PROCESS, gettid(), n)} applies to that thread alone.
 *
 * <p>Only on Linux x86-64 and AArch64, and only when native access is enabled for this code (bin/clip4j passes
 * {@code --enable-native-access=ALL-UNNAMED}); elsewhere, or if the call fails, it does nothing and says so by its
 * return value. The JVM would otherwise print a warning for the restricted call.
 */
final class BackgroundPriority {
    private BackgroundPriority() {}

    private static final int PRIO_PROCESS = 0;

    /**
     * Raises the calling thread's nice value by {@code steps} (at most to 19; a higher nice value is a lower priority)
     * from what it is, so that a process started with {@code nice -n 10} keeps its warm-up below its other threads;
     * true if it did.
     */
    static boolean lowerCurrentThread(int steps) {
        if (!System.getProperty("os.name", "").equals("Linux")) return false;
        long gettid = switch (System.getProperty("os.arch", "")) {
            case "amd64", "x86_64" -> 186;
            case "aarch64" -> 178;
            default -> -1;
        };
        if (gettid < 0 || !BackgroundPriority.class.getModule().isNativeAccessEnabled()) return false;
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            MethodHandle syscall = linker.downcallHandle(libc.find("syscall").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), Linker.Option.firstVariadicArg(1));
            MethodHandle getpriority = linker.downcallHandle(libc.find("getpriority").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            MethodHandle setpriority = linker.downcallHandle(libc.find("setpriority").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            int tid = (int) (long) syscall.invokeExact(gettid);
            if (tid <= 0) return false;
            // glibc returns the nice value (-20..19); -1 is also its error value, read here as nice -1, which at worst
            // asks for a slightly higher priority than meant, and an unprivileged thread is refused that (EPERM)
            int current = (int) getpriority.invokeExact(PRIO_PROCESS, tid);
            int target = Math.min(19, Math.max(current, -20) + steps);
            return target > current && (int) setpriority.invokeExact(PRIO_PROCESS, tid, target) == 0;
        } catch (Throwable e) {
            return false;                                          // no libc symbol, a linker error: priority unchanged
        }
    }
}
