package org.veripack.repo;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * tuf-js, an independent TUF implementation (npm, version pinned), installed once into {@code target/tufjs} and run
 * with {@code node}: the real peer of the interop tests. Tests using it skip, saying why, only when {@code node} or
 * {@code npm} is not installed ({@code .ci/run} installs Debian's nodejs and npm).
 */
final class TufJs {
    static final String VERSION = "6.0.2";
    private static final Path HOME = Path.of("target", "tufjs").toAbsolutePath();

    record Result(int exit, String out, String err) { }

    private TufJs() { }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Installs tuf-js (once) and the download script; skips the test when node or npm is absent. */
    static synchronized Path home() throws IOException, InterruptedException {
        assumeTrue(onPath("node") && onPath("npm"), "node and npm are not installed: the tuf-js interop test needs them (apt-get install nodejs npm)");
        Path marker = HOME.resolve("node_modules/tuf-js/package.json");
        if (!Files.exists(marker) || !Files.readString(marker).contains("\"version\": \"" + VERSION + "\"")) {
            Files.createDirectories(HOME);
            Result r = run(List.of("npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix", HOME.toString(),
                    "tuf-js@" + VERSION), 300);
            if (r.exit() != 0) {
                throw new IOException("npm install tuf-js@" + VERSION + " failed: " + r.err());
            }
        }
        for (String script : List.of("download.js", "write-repo.js")) {
            try (var in = TufJs.class.getResourceAsStream("/tufjs/" + script)) {
                Files.copy(in, HOME.resolve(script), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return HOME;
    }

    /** tuf-js downloads {@code target} from {@code repo} trusting {@code root}; the file lands in {@code out}. */
    static Result download(Path repo, Path root, String target, Path out) throws IOException, InterruptedException {
        Path home = home();
        return run(List.of("node", home.resolve("download.js").toString(), repo.toAbsolutePath().toString(),
                root.toAbsolutePath().toString(), target, out.toAbsolutePath().toString()), 60);
    }

    /**
     * tuf-js's own models ({@code @tufjs/models}, the version tuf-js {@value #VERSION} pins) write a repository into
     * {@code repo}: root, targets, snapshot and timestamp version 1 with keys node's crypto makes (root and snapshot
     * Ed25519, targets and timestamp ECDSA P-256), consistent snapshots, and {@code pkg} as the target {@code name}
     * with {@code customJson} as its {@code custom} field, every role expiring at {@code expires}.
     */
    static Result writeRepository(Path repo, Path pkg, String name, String customJson, java.time.Instant expires)
            throws IOException, InterruptedException {
        Path home = home();
        return run(List.of("node", home.resolve("write-repo.js").toString(), repo.toAbsolutePath().toString(),
                pkg.toAbsolutePath().toString(), name, customJson, expires.toString()), 60);
    }

    static Result run(List<String> cmd, int seconds) throws IOException, InterruptedException {
        Path out = Files.createTempFile("tufjs-", ".out");
        Path err = Files.createTempFile("tufjs-", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(cmd + " did not finish within " + seconds + " s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
