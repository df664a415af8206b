package org.veripack.node;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts a program the guard allowed, as close to {@code exec} as a JVM gets (a JVM cannot replace its
 * own process image): the child gets the slot as working directory, a minimal environment
 * ({@link #minimalEnvironment}: {@code PATH=/usr/sbin:/usr/bin:/sbin:/bin}, {@code HOME}, {@code TZ},
 * {@code LANG}, {@code LC_*} from the guard's environment, nothing else inherited) plus the {@code --env} pairs, and the guard's stdin/stdout/stderr ({@link ProcessBuilder#inheritIO()}); the
 * guard waits and returns the child's exit status (128 + signal number when a signal ended it).
 *
 * <p>Signals: a shutdown hook forwards termination: when the guard gets SIGTERM, SIGINT or SIGHUP it
 * sends SIGTERM to the child and waits up to {@link #FORWARD_GRACE_SECONDS} s for it (then SIGKILL).
 * A terminal's Ctrl-C reaches both directly (same process group). SIGKILL of the guard cannot be
 * forwarded: the child then keeps running, re-parented to init (run the guard under a supervisor that
 * kills the cgroup, such as systemd, when that matters).
 *
 * <p>Dynamic-loader variables (ld.so(8)): they make the loader map other code into the program, and the
 * guard only runs verified bytes, so
 * {@code LD_LIBRARY_PATH}, {@code LD_PRELOAD} and {@code LD_AUDIT} may only name places inside the slot.
 * Given with {@code --env}, each entry (LD_LIBRARY_PATH: {@code :}- or {@code ;}-separated, as glibc splits
 * it; LD_PRELOAD/LD_AUDIT: {@code :}-, {@code ;}-, space- or tab-separated) that is relative resolves against the slot directory; every entry, relative
 * or absolute, must stay inside the slot also after resolving symlinks ({@link #childEnvironment}, else
 * {@link IllegalArgumentException}: CLI exit 2), and is passed to the program as an absolute path. The same
 * variables inherited from the guard's own environment are never passed on (nor is anything outside the
 * minimal environment). Other {@code --env} values ({@code PATH}, {@code GCONV_PATH}...) are passed as given:
 * they are the operator's choice and responsibility.
 */
public final class ProgramLauncher {
    /** How long the guard waits for the child after forwarding termination, in seconds. */
    public static final long FORWARD_GRACE_SECONDS = 10;

    /** Loader variables that choose code to map into the program: confined to the slot. */
    public static final java.util.Set<String> LOADER_VARIABLES = java.util.Set.of("LD_LIBRARY_PATH", "LD_PRELOAD", "LD_AUDIT");

    /** {@code PATH} the program gets unless {@code --env} sets another. */
    public static final String DEFAULT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

    private ProgramLauncher() { }

    /**
     * The part of the guard's own environment the program inherits (docs/guide.md "Run through the guard"): {@code PATH} fixed to
     * {@link #DEFAULT_PATH}, and {@code HOME}, {@code TZ}, {@code LANG} and {@code LC_*} copied from
     * {@code inherited}; everything else (loader variables, {@code GCONV_PATH}, {@code PATH}, proxies...) is
     * dropped. {@code --env} pairs are added on top ({@link #childEnvironment}).
     */
    public static Map<String, String> minimalEnvironment(Map<String, String> inherited) {
        Map<String, String> out = new java.util.TreeMap<>();
        out.put("PATH", DEFAULT_PATH);
        inherited.forEach((k, v) -> {
            if (k.equals("HOME") || k.equals("TZ") || k.equals("LANG") || k.startsWith("LC_")) {
                out.put(k, v);
            }
        });
        return out;
    }

    /**
     * The {@code --env} pairs as the program gets them: loader variables' entries resolved inside
     * {@code slotDir} and made absolute, other pairs unchanged.
     *
     * @throws IllegalArgumentException naming the variable and entry when a loader variable entry leaves the slot
     */
    public static Map<String, String> childEnvironment(Path slotDir, Map<String, String> env) throws IOException {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        Path slot = slotDir.toAbsolutePath().normalize();
        Path realSlot = slot.toRealPath();
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (!LOADER_VARIABLES.contains(e.getKey())) {
                out.put(e.getKey(), e.getValue());
                continue;
            }
            boolean libraryPath = e.getKey().equals("LD_LIBRARY_PATH");
            List<String> resolved = new ArrayList<>();
            // glibc's separators (ld.so(8)): LD_LIBRARY_PATH splits on ':' and ';'; LD_PRELOAD on
            // ':' and ' '; LD_AUDIT on ':'. Splitting on more than the loader does only refuses more (fail closed).
            for (String entry : e.getValue().split(libraryPath ? "[:;]" : "[:; \\t]", -1)) {
                if (entry.isEmpty() && !libraryPath) {
                    continue;
                }
                Path p = (entry.isEmpty() ? slot : entry.startsWith("/") ? Path.of(entry) : slot.resolve(entry)).normalize();
                boolean inside = p.startsWith(slot);
                if (inside && java.nio.file.Files.exists(p)) {
                    inside = p.toRealPath().startsWith(realSlot);
                }
                if (!inside) {
                    throw new IllegalArgumentException(e.getKey() + " entry '" + entry + "' resolves outside the active slot ("
                            + p + "): the guard only runs verified code");
                }
                resolved.add(p.toString());
            }
            out.put(e.getKey(), String.join(":", resolved));
        }
        return out;
    }

    /**
     * @param decision an allowed {@link GuardDecision}
     * @param args     program arguments (after the executable)
     * @param env      extra environment variables
     * @return the child's exit status
     * @throws IllegalArgumentException when {@code decision} is not allowed, or a loader variable leaves the slot
     * @throws IOException              when the program cannot be started
     */
    public static int run(GuardDecision decision, List<String> args, Map<String, String> env) throws IOException {
        if (!decision.allowed()) {
            throw new IllegalArgumentException("the guard refused this program");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(decision.executable().toString());
        cmd.addAll(args);
        Map<String, String> childEnv = childEnvironment(decision.slotDir(), env);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(decision.slotDir().toFile()).inheritIO();
        Map<String, String> inherited = Map.copyOf(pb.environment());
        pb.environment().clear();
        pb.environment().putAll(minimalEnvironment(inherited));
        pb.environment().putAll(childEnv);
        Process child = pb.start();
        Thread forward = new Thread(() -> {
            if (child.isAlive()) {
                child.destroy();
                try {
                    if (!child.waitFor(FORWARD_GRACE_SECONDS, TimeUnit.SECONDS)) {
                        child.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "veripack-guard-forward-termination");
        Runtime.getRuntime().addShutdownHook(forward);
        try {
            return child.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            child.destroy();
            return 128 + 15;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(forward);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it forwards termination
            }
        }
    }
}
