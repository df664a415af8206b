package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;

/**
 * Only authorised installers install or roll back (TS 33.117 §4.2.3.3.5): real unprivileged users created
 * with {@code useradd} run the CLI through {@code runuser -u USER -- java -cp ... org.veripack.cli.Main}.
 * The node root belongs to {@code vp-installer}; {@code NODE/config.yaml} (root-owned, 0644) authorises the
 * group {@code vp-installers}. Needs root, {@code useradd} and {@code runuser}; skipped with the reason
 * otherwise. The users and group are removed afterwards.
 */
class AuthorizedInstallersTest {
    static final String INSTALLER = "vp-installer";
    static final String OUTSIDER = "vp-outsider";
    static final String GROUP = "vp-installers";

    static Path base;
    static String classpath;
    static Path anchor;
    static Path v1;
    static Path v2;

    @BeforeAll
    static void users() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "creating users needs root; this run is not root");
        assumeTrue(onPath("useradd") && onPath("runuser"), "useradd/runuser not installed");
        sh("groupdel", GROUP);
        sh("userdel", INSTALLER);
        sh("userdel", OUTSIDER);
        assertEquals(0, sh("groupadd", GROUP));
        assertEquals(0, sh("useradd", "-M", "-s", "/bin/sh", "-G", GROUP, INSTALLER));
        assertEquals(0, sh("useradd", "-M", "-s", "/bin/sh", OUTSIDER));
        base = Files.createTempDirectory("vp-authz-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        classpath = shareClasspath(base.resolve("cp"));
        Issued root = TestPki.cert("CN=Authz Root").ca(true).build();
        Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(root).build();
        anchor = base.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        Path pkg = Files.createDirectories(base.resolve("pkg/Files"));
        for (String v : List.of("1.0", "2.0")) {
            Files.writeString(pkg.resolve("VERSION"), v);
            CsarSigner.builder(leaf.identity()).name("acme-mme").version(v).build()
                    .writeOption1(base.resolve("pkg"), base.resolve("acme-" + v + ".csar"));
        }
        v1 = base.resolve("acme-1.0.csar");
        v2 = base.resolve("acme-2.0.csar");
        try (Stream<Path> s = Files.walk(base)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    @AfterAll
    static void removeUsers() throws Exception {
        if (base != null) {
            sh("userdel", INSTALLER);
            sh("userdel", OUTSIDER);
            sh("groupdel", GROUP);
            sh("rm", "-rf", base.toString());
        }
    }

    /** A node root owned by the installer account, with a root-owned config authorising {@code authorized}. */
    static Path node(String name, String config) throws Exception {
        Path node = Files.createDirectories(base.resolve(name));
        Files.writeString(node.resolve("config.yaml"), config);
        Files.setPosixFilePermissions(node.resolve("config.yaml"), PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(0, sh("chown", INSTALLER + ":" + INSTALLER, node.toString()));
        return node;
    }

    @Test
    void memberOfAnAuthorisedGroupInstallsAndRollsBack() throws Exception {
        Path node = node("node-ok", "authorizedInstallers:\n  groups: [" + GROUP + "]\n");
        assertEquals(ExitCode.OK, cli(INSTALLER, "install", "--root", node.toString(), "--trust", anchor.toString(), v1.toString()));
        assertEquals(ExitCode.OK, cli(INSTALLER, "install", "--root", node.toString(), "--trust", anchor.toString(), v2.toString()));
        assertEquals(ExitCode.OK, cli(INSTALLER, "rollback", "--root", node.toString()));
        assertEquals(INSTALLER, Files.getOwner(node.resolve("audit/events.jsonl")).getName());
    }

    @Test
    void userNotListedIsRefusedWithExit4AndAnAuditEvent() throws Exception {
        Path node = node("node-refused", "authorizedInstallers:\n  users: [someone-else]\n");
        assertEquals(ExitCode.NOT_AUTHORISED,
                cli(INSTALLER, "install", "--root", node.toString(), "--trust", anchor.toString(), v1.toString()));
        assertFalse(Files.exists(node.resolve("current")));
        String audit = Files.readString(node.resolve("audit/events.jsonl"), StandardCharsets.UTF_8);
        assertTrue(audit.contains("\"install.unauthorized\""), audit);
        assertEquals(ExitCode.NOT_AUTHORISED, cli(INSTALLER, "rollback", "--root", node.toString()));
        assertTrue(Files.readString(node.resolve("audit/events.jsonl")).contains("\"rollback.unauthorized\""));
    }

    @Test
    void outsiderWithoutAnyRightsIsRefusedWithExit4() throws Exception {
        Path node = node("node-outsider", "authorizedInstallers:\n  groups: [" + GROUP + "]\n");
        assertEquals(ExitCode.NOT_AUTHORISED,
                cli(OUTSIDER, "install", "--root", node.toString(), "--trust", anchor.toString(), v1.toString()));
        assertFalse(Files.exists(node.resolve("current")));
    }

    @Test
    void nodeConfigOwnedByAnotherUserIsRefusedWithExit2() throws Exception {
        Path node = node("node-badconfig", "authorizedInstallers:\n  groups: [" + GROUP + "]\n");
        assertEquals(0, sh("chown", OUTSIDER, node.resolve("config.yaml").toString()));
        assertEquals(ExitCode.USAGE,
                cli(INSTALLER, "install", "--root", node.toString(), "--trust", anchor.toString(), v1.toString()));
    }

    static int cli(String user, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("runuser", "-u", user, "--",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-cp", classpath, "org.veripack.cli.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(base.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "CLI timed out");
        System.out.println(user + " " + String.join(" ", args) + " -> " + p.exitValue() + "\n" + out);
        return p.exitValue();
    }

    /** Copies the test classpath where the unprivileged users can read it (~/.m2 of root is private). */
    static String shareClasspath(Path into) throws IOException {
        Files.createDirectories(into);
        List<String> out = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path src = Path.of(entry);
            if (!Files.exists(src)) {
                continue;
            }
            Path dst = into.resolve((i++) + "-" + src.getFileName());
            if (Files.isDirectory(src)) {
                try (Stream<Path> s = Files.walk(src)) {
                    for (Path p : (Iterable<Path>) s::iterator) {
                        Path t = dst.resolve(src.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(t);
                        } else {
                            Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } else {
                Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
            }
            out.add(dst.toString());
        }
        return String.join(File.pathSeparator, out);
    }

    static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }

    static int sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }
}
