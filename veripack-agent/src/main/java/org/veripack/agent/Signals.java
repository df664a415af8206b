package org.veripack.agent;

/**
 * The agent's signals: SIGHUP (reload the configuration, check integrity) and SIGTERM/SIGINT (stop cleanly). The JDK
 * has no public API for catching a signal; {@code sun.misc.Signal} (module {@code jdk.unsupported}, kept for exactly
 * this use, JEP 260) is the one way to handle SIGHUP without dying and to make SIGTERM a clean exit 0.
 */
final class Signals {
    private Signals() { }

    /**
     * Installs the handlers.
     *
     * @return HUP and/or TERM when this process was started with them ignored (HUP under {@code nohup}): the
     *         JVM keeps a shutdown signal ignored when it started ignored, so its handler never runs; empty when
     *         both are handled. INT is not reported: a shell starts every background job with it ignored.
     */
    static java.util.List<String> install(Runnable hangup, Runnable terminate) {
        java.util.List<String> ignored = new java.util.ArrayList<>();
        handle("HUP", hangup, ignored);
        handle("TERM", terminate, ignored);
        handle("INT", terminate, new java.util.ArrayList<>());
        return ignored;
    }

    private static void handle(String name, Runnable action, java.util.List<String> ignored) {
        try {
            if (sun.misc.Signal.handle(new sun.misc.Signal(name), s -> action.run()) == sun.misc.SignalHandler.SIG_IGN) {
                ignored.add(name);
            }
        } catch (IllegalArgumentException e) {
            // the JVM reserves it (e.g. -Xrs): the default action stays
        }
    }
}
