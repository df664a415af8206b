package org.veripack.agent;

/**
 * The agent's signals: SIGHUP (reload the configuration, check integrity) and SIGTERM/SIGINT (stop cleanly). The JDK
 * has no public API for catching a signal; {@code sun.misc.Signal} (module {@code jdk.unsupported}, kept for exactly
 * this use, JEP 260) is the one way to handle SIGHUP without dying and to make SIGTERM a clean exit 0.
 */
final class Signals {
    private Signals() { }

    static void install(Runnable hangup, Runnable terminate) {
        handle("HUP", hangup);
        handle("TERM", terminate);
        handle("INT", terminate);
    }

    private static void handle(String name, Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(name), s -> action.run());
        } catch (IllegalArgumentException e) {
            // the JVM reserves it (e.g. -Xrs): the default action stays
        }
    }
}
