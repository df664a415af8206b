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
        if (handle("HUP", hangup)) {
            ignored.add("HUP");
        }
        if (handle("TERM", terminate)) {
            ignored.add("TERM");
        }
        handle("INT", terminate);
        return ignored;
    }

    /** @return whether {@code name} was inherited ignored (the handler then never runs) */
    private static boolean handle(String name, Runnable action) {
        try {
            return sun.misc.Signal.handle(new sun.misc.Signal(name), s -> action.run()) == sun.misc.SignalHandler.SIG_IGN;
        } catch (IllegalArgumentException e) {
            return false; // the JVM reserves it (e.g. -Xrs): the default action stays
        }
    }
}
