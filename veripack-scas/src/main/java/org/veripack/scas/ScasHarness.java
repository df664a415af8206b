package org.veripack.scas;

import java.io.IOException;
import org.veripack.scas.internal.HarnessRun;

/**
 * The SCAS conformance harness: runs TC_SW_PKG_INTEGRITY_1 (3GPP TS 33.117 §4.2.3.3.5, steps 1–3) and a
 * tamper matrix derived from a genuine package against a product driven only through processes.
 *
 * <pre>{@code
 * ScasReport r = ScasHarness.run(ScasConfig.builder().genuinePackage(csar).trustAnchors(List.of(ca))
 *         .target(new Target.Node(root, List.of("./veripack"), List.of("bin/probe", "--version"), List.of())).outDir(out).build());
 * ScasReports.writeAll(r, out);
 * }</pre>
 */
public final class ScasHarness {
    /** Version of the harness written into every report. */
    public static final String VERSION = HarnessRun.HARNESS_VERSION;

    private ScasHarness() { }

    /** Key type of the signers the harness generates for its re-signing cases. */
    public enum KeyType {
        /** RSA 2048 (F4), certificates signed SHA256withRSA: the default, accepted by every product's algorithm policy. */
        RSA_2048,
        /** EC P-256, certificates signed SHA256withECDSA: much faster to generate (tests). */
        EC_P256
    }

    /**
     * Runs every case. Variants and harness certificates are written under {@code config.outDir()}
     * ({@code variants/}, {@code harness/}); the reports are written by {@link ScasReports}.
     *
     * @throws IOException              when the packages cannot be read or the out directory cannot be written
     * @throws IllegalArgumentException when the genuine package is not an option-1 CSAR or the test CA is unusable
     */
    public static ScasReport run(ScasConfig config) throws IOException {
        return new HarnessRun(config, KeyType.RSA_2048).run();
    }

    /** As {@link #run(ScasConfig)} with harness signers of {@code keyType} (tests use fast EC keys). */
    public static ScasReport run(ScasConfig config, KeyType keyType) throws IOException {
        return new HarnessRun(config, keyType).run();
    }
}
