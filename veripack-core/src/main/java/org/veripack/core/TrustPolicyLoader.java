package org.veripack.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRL;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CRLException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.veripack.core.internal.cms.CertificateFiles;

/**
 * Reads a trust policy file (YAML, paths relative to the file; every key with its default:
 * docs/reference.md "Trust policy keys"):
 * <pre>{@code
 * trustAnchors: [vendor-root.pem]      # at least one trust anchor or one OpenPGP keyring
 * openpgpKeyrings: [debian-archive-keyring.gpg]   # OpenPGP keyrings (binary or armored) for apt chains
 * intermediates: [vendor-ca.pem]
 * requireCodeSigningEku: true
 * allowedDigestAlgorithms: [SHA-256, SHA-384, SHA-512]
 * minRsaKeyBits: 2048
 * revocation: off                      # off | prefer | require
 * crls: []                             # CRL files (PEM/DER), used before OCSP and CRL distribution points
 * ocspResponder: http://ocsp.example/  # optional: asked instead of each certificate's AIA responder
 * timestampAnchors: [tsa-root.pem]     # optional: roots trusted for RFC 3161 time-stamping authorities
 * signerGroups: {vendor: ["CN=Acme Code Signing,O=Acme"], operator: ["sha256:HEX"]}
 * requireSigners: {all: [vendor, operator]}        # or {threshold: 2, of: [vendor, operator, lab]}
 * antiRollback: true
 * archiveExecuteBits: ignore           # ignore | honour: unsigned zip execute bits of option-1 CSARs without Veripack-Mode
 * signers: {acme-mme: ["CN=Acme Code Signing,O=Acme"]}
 * limits: {maxEntries: 100000, maxTotalBytes: 68719476736, maxExpansionRatio: 200, maxHeaderBytes: 16777216}
 * initialPolicies: []                  # RFC 5280 §6.1.1 inputs: certificate policy OIDs (empty: any-policy),
 * requireExplicitPolicy: false         #   initial-explicit-policy,
 * inhibitPolicyMapping: false          #   initial-policy-mapping-inhibit,
 * inhibitAnyPolicy: false              #   initial-any-policy-inhibit
 * externalArtifacts: reject            # reject | fetch: manifest Sources that are URIs
 * externalArtifactHttpHosts: []        # hosts from which plain http downloads are allowed (else https only)
 * externalArtifactTimeouts: {connectSeconds: 10, readSeconds: 60, totalSeconds: 3600}
 * }</pre>
 * Strict: an unknown key, a value of the wrong type, a missing or unreadable certificate/CRL file, no
 * trust anchor and no OpenPGP keyring, a missing keyring file, or an unsafe setting (RSA below 2048 bits, a digest outside SHA-256/384/512) is a
 * {@link PolicyException} naming the file and key (CLI exit code 2). Certificate files are PEM or DER
 * and may hold several certificates.
 */
public final class TrustPolicyLoader {
    private static final Set<String> KEYS = Set.of("trustAnchors", "intermediates", "requireCodeSigningEku",
            "allowedDigestAlgorithms", "minRsaKeyBits", "revocation", "crls", "antiRollback", "signers", "limits",
            "openpgpKeyrings", "ocspResponder", "timestampAnchors", "signerGroups", "requireSigners", "archiveExecuteBits",
            "initialPolicies", "requireExplicitPolicy", "inhibitPolicyMapping", "inhibitAnyPolicy", "externalArtifacts",
            "externalArtifactHttpHosts", "externalArtifactTimeouts");
    private static final Set<String> LIMIT_KEYS = Set.of("maxEntries", "maxTotalBytes", "maxExpansionRatio", "maxHeaderBytes",
            "maxArtifacts");
    private static final Set<String> TIMEOUT_KEYS = Set.of("connectSeconds", "readSeconds", "totalSeconds");
    /** The earlier name of {@code limits.maxEntries}, still read so existing policy files keep working. */
    private static final String MAX_ENTRIES_EARLIER = "maxArtifacts";
    private static final long MAX_POLICY_BYTES = 1024 * 1024;
    /** Bytes a certificate file may hold (16 MiB: far above any CA bundle), so a wrong file is no OutOfMemoryError. */
    public static final long MAX_CERTIFICATE_FILE_BYTES = 16L * 1024 * 1024;

    private TrustPolicyLoader() { }

    /**
     * Every key a policy file may hold: the top-level keys, and those of the {@code limits} and
     * {@code externalArtifactTimeouts} mappings as {@code limits.maxEntries}, ... Any other key is a
     * {@link PolicyException} from {@link #load}; the sets are the ones {@code load} checks against. Each is
     * documented with its default in docs/reference.md "Trust policy keys" (a CLI test checks that).
     *
     * @return an unmodifiable set of key names
     */
    public static Set<String> knownKeys() {
        Set<String> all = new java.util.TreeSet<>(KEYS);
        LIMIT_KEYS.forEach(k -> all.add("limits." + k));
        TIMEOUT_KEYS.forEach(k -> all.add("externalArtifactTimeouts." + k));
        return java.util.Collections.unmodifiableSet(all);
    }

    /**
     * @param file the policy YAML
     * @return the validated policy
     * @throws PolicyException when the file is missing, unreadable, not valid YAML, or invalid/unsafe
     */
    public static TrustPolicy load(Path file) throws PolicyException {
        JsonNode root;
        try {
            if (Files.size(file) > MAX_POLICY_BYTES) {
                throw new PolicyException(file + ": policy file larger than " + MAX_POLICY_BYTES + " bytes");
            }
            root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new PolicyException(syntaxError(file, e), e);
        } catch (IOException e) {
            throw new PolicyException(file + ": cannot read trust policy: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new PolicyException(file + ": a trust policy must be a YAML mapping");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                throw new PolicyException(file + ": unknown key '" + k + "' (allowed: " + KEYS + ")");
            }
        }
        Path base = file.toAbsolutePath().getParent();
        TrustPolicy.Builder b = TrustPolicy.builder();
        List<Path> sources = new ArrayList<>();
        sources.add(file.toAbsolutePath());
        for (String key : List.of("trustAnchors", "intermediates", "timestampAnchors", "crls", "openpgpKeyrings")) {
            for (String p : strings(file, root, key)) {
                sources.add(base.resolve(p));
            }
        }
        b.sourceFiles(sources);
        List<X509Certificate> anchors = new ArrayList<>();
        for (String p : strings(file, root, "trustAnchors")) {
            anchors.addAll(readCertificates(file, "trustAnchors", base.resolve(p)));
        }
        for (String p : strings(file, root, "timestampAnchors")) {
            b.timestampAnchors(readCertificates(file, "timestampAnchors", base.resolve(p)));
        }
        if (root.has("ocspResponder")) {
            JsonNode n = root.get("ocspResponder");
            try {
                if (!n.isTextual()) {
                    throw new IllegalArgumentException("not a string");
                }
                b.ocspResponder(new java.net.URI(n.asText()));
            } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                throw new PolicyException(file + ": ocspResponder must be an http(s) URL: " + e.getMessage(), e);
            }
        }
        signerGroups(file, root, b);
        List<Path> keyrings = new ArrayList<>();
        for (String p : strings(file, root, "openpgpKeyrings")) {
            Path keyring = base.resolve(p);
            if (!Files.isRegularFile(keyring) || !Files.isReadable(keyring)) {
                throw new PolicyException(file + ": openpgpKeyrings: cannot read " + keyring);
            }
            keyrings.add(keyring);
        }
        if (anchors.isEmpty() && keyrings.isEmpty()) {
            throw new PolicyException(file + ": trustAnchors must name at least one trust anchor certificate"
                    + " (or openpgpKeyrings at least one OpenPGP keyring)");
        }
        b.trustAnchors(anchors);
        b.openpgpKeyrings(keyrings);
        for (String p : strings(file, root, "intermediates")) {
            b.intermediates(readCertificates(file, "intermediates", base.resolve(p)));
        }
        if (root.has("requireCodeSigningEku")) {
            b.requireCodeSigningEku(bool(file, root, "requireCodeSigningEku"));
        }
        if (root.has("allowedDigestAlgorithms")) {
            Set<String> algs = new LinkedHashSet<>();
            for (String a : strings(file, root, "allowedDigestAlgorithms")) {
                algs.add(a.toUpperCase(Locale.ROOT));
            }
            b.allowedDigestAlgorithms(algs);
        }
        if (root.has("minRsaKeyBits")) {
            b.minRsaKeyBits((int) number(file, root, "minRsaKeyBits"));
        }
        if (root.has("revocation")) {
            b.revocation(revocation(file, root.get("revocation")));
        }
        for (String p : strings(file, root, "crls")) {
            b.crls(readCrls(file, base.resolve(p)));
        }
        if (root.has("antiRollback")) {
            b.antiRollback(bool(file, root, "antiRollback"));
        }
        if (root.has("archiveExecuteBits")) {
            b.archiveExecuteBits(archiveExecuteBits(file, root.get("archiveExecuteBits")));
        }
        if (root.has("signers")) {
            JsonNode s = root.get("signers");
            if (!s.isObject()) {
                throw new PolicyException(file + ": signers must map package names to lists of signer DNs or sha256: pins");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                b.signers(e.getKey(), strings(file, s, e.getKey()));
            }
        }
        if (root.has("limits")) {
            b.limits(limits(file, root.get("limits")));
        }
        b.initialPolicies(strings(file, root, "initialPolicies"));
        if (root.has("requireExplicitPolicy")) {
            b.requireExplicitPolicy(bool(file, root, "requireExplicitPolicy"));
        }
        if (root.has("inhibitPolicyMapping")) {
            b.inhibitPolicyMapping(bool(file, root, "inhibitPolicyMapping"));
        }
        if (root.has("inhibitAnyPolicy")) {
            b.inhibitAnyPolicy(bool(file, root, "inhibitAnyPolicy"));
        }
        externalArtifacts(file, root, b);
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new PolicyException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code signerGroups: {vendor: [DN or sha256:HEX, ...], ...}} and
     * {@code requireSigners: {all: [vendor, operator]}} or {@code {threshold: k, of: [a, b, c]}}.
     */
    private static void signerGroups(Path file, JsonNode root, TrustPolicy.Builder b) throws PolicyException {
        if (root.has("signerGroups")) {
            JsonNode g = root.get("signerGroups");
            if (!g.isObject()) {
                throw new PolicyException(file + ": signerGroups must map group names to lists of signer DNs or sha256: pins");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = g.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                b.signerGroup(e.getKey(), strings(file, g, e.getKey()));
            }
        }
        if (!root.has("requireSigners")) {
            return;
        }
        JsonNode r = root.get("requireSigners");
        if (!r.isObject()) {
            throw new PolicyException(file + ": requireSigners must be {all: [groups]} or {threshold: k, of: [groups]}");
        }
        Set<String> keys = new LinkedHashSet<>();
        r.fieldNames().forEachRemaining(keys::add);
        try {
            if (keys.equals(Set.of("all"))) {
                b.requireSigners(TrustPolicy.SignerRequirement.all(strings(file, r, "all")));
            } else if (keys.equals(Set.of("threshold", "of"))) {
                b.requireSigners(new TrustPolicy.SignerRequirement((int) number(file, r, "threshold"), strings(file, r, "of")));
            } else {
                throw new PolicyException(file + ": requireSigners must be {all: [groups]} or {threshold: k, of: [groups]}, not " + keys);
            }
        } catch (IllegalArgumentException e) {
            throw new PolicyException(file + ": " + e.getMessage(), e);
        }
    }

    private static List<String> strings(Path file, JsonNode parent, String key) throws PolicyException {
        JsonNode n = parent.get(key);
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (n.isTextual()) {
            return List.of(n.asText());
        }
        if (!n.isArray()) {
            throw new PolicyException(file + ": " + key + " must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual() || e.asText().isBlank()) {
                throw new PolicyException(file + ": " + key + " must be a list of non-empty strings");
            }
            out.add(e.asText());
        }
        return out;
    }

    private static boolean bool(Path file, JsonNode root, String key) throws PolicyException {
        JsonNode n = root.get(key);
        if (!n.isBoolean()) {
            throw new PolicyException(file + ": " + key + " must be true or false");
        }
        return n.asBoolean();
    }

    private static long number(Path file, JsonNode parent, String key) throws PolicyException {
        JsonNode n = parent.get(key);
        if (n == null || !n.canConvertToExactIntegral() || !n.canConvertToLong()) {
            throw new PolicyException(file + ": " + key + " must be an integer");
        }
        return n.asLong();
    }

    private static ArchiveExecuteBits archiveExecuteBits(Path file, JsonNode n) throws PolicyException {
        if (n.isTextual()) {
            switch (n.asText()) {
                case "ignore": return ArchiveExecuteBits.IGNORE;
                case "honour": return ArchiveExecuteBits.HONOUR;
                default: break;
            }
        }
        throw new PolicyException(file + ": archiveExecuteBits must be ignore or honour, not " + n);
    }

    private static RevocationMode revocation(Path file, JsonNode n) throws PolicyException {
        if (n.isBoolean() && !n.asBoolean()) {
            return RevocationMode.OFF; // YAML 1.1 reads a bare 'off' as false
        }
        if (n.isTextual()) {
            switch (n.asText().toLowerCase(Locale.ROOT)) {
                case "off": return RevocationMode.OFF;
                case "prefer": return RevocationMode.PREFER;
                case "require": return RevocationMode.REQUIRE;
                default: break;
            }
        }
        throw new PolicyException(file + ": revocation must be off, prefer or require");
    }

    /**
     * {@code externalArtifacts: reject | fetch}, {@code externalArtifactHttpHosts: [host, ...]} and
     * {@code externalArtifactTimeouts: {connectSeconds, readSeconds, totalSeconds}} (positive integers).
     */
    private static void externalArtifacts(Path file, JsonNode root, TrustPolicy.Builder b) throws PolicyException {
        if (root.has("externalArtifacts")) {
            JsonNode n = root.get("externalArtifacts");
            String v = n.isTextual() ? n.asText().toLowerCase(Locale.ROOT) : "";
            switch (v) {
                case "reject" -> b.externalArtifacts(TrustPolicy.ExternalArtifacts.REJECT);
                case "fetch" -> b.externalArtifacts(TrustPolicy.ExternalArtifacts.FETCH);
                default -> throw new PolicyException(file + ": externalArtifacts must be reject or fetch");
            }
        }
        List<String> hosts = strings(file, root, "externalArtifactHttpHosts");
        for (String h : hosts) {
            if (h.strip().isEmpty() || h.contains("/") || h.contains(":") && !h.startsWith("[")) {
                throw new PolicyException(file + ": externalArtifactHttpHosts: '" + h
                        + "' is not a host name or IP literal (no scheme, port or path; IPv6 in brackets)");
            }
        }
        b.externalArtifactHttpHosts(hosts);
        if (!root.has("externalArtifactTimeouts")) {
            return;
        }
        JsonNode n = mapping(file, root.get("externalArtifactTimeouts"), "externalArtifactTimeouts", TIMEOUT_KEYS);
        TrustPolicy.FetchTimeouts d = TrustPolicy.FetchTimeouts.DEFAULT;
        try {
            b.externalArtifactTimeouts(new TrustPolicy.FetchTimeouts(
                    n.has("connectSeconds") ? java.time.Duration.ofSeconds(number(file, n, "connectSeconds")) : d.connect(),
                    n.has("readSeconds") ? java.time.Duration.ofSeconds(number(file, n, "readSeconds")) : d.read(),
                    n.has("totalSeconds") ? java.time.Duration.ofSeconds(number(file, n, "totalSeconds")) : d.total()));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new PolicyException(file + ": externalArtifactTimeouts: " + e.getMessage(), e);
        }
    }

    /** {@code n}, a mapping with only {@code allowed} keys under {@code key}, else a {@link PolicyException}. */
    private static JsonNode mapping(Path file, JsonNode n, String key, Set<String> allowed) throws PolicyException {
        if (!n.isObject()) {
            throw new PolicyException(file + ": " + key + " must be a mapping");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw new PolicyException(file + ": unknown key '" + key + "." + k + "' (allowed: " + allowed + ")");
            }
        }
        return n;
    }

    private static Limits limits(Path file, JsonNode n) throws PolicyException {
        mapping(file, n, "limits", LIMIT_KEYS);
        if (n.has("maxEntries") && n.has(MAX_ENTRIES_EARLIER)) {
            throw new PolicyException(file + ": limits: give maxEntries or its earlier name " + MAX_ENTRIES_EARLIER + ", not both");
        }
        String entriesKey = n.has(MAX_ENTRIES_EARLIER) ? MAX_ENTRIES_EARLIER : "maxEntries";
        Limits d = Limits.DEFAULT;
        try {
            return new Limits(n.has(entriesKey) ? number(file, n, entriesKey) : d.maxEntries(),
                    n.has("maxTotalBytes") ? number(file, n, "maxTotalBytes") : d.maxTotalBytes(),
                    n.has("maxExpansionRatio") ? number(file, n, "maxExpansionRatio") : d.maxExpansionRatio(),
                    n.has("maxHeaderBytes") ? number(file, n, "maxHeaderBytes") : d.maxHeaderBytes());
        } catch (IllegalArgumentException e) {
            throw new PolicyException(file + ": limits: " + e.getMessage(), e);
        }
    }

    /**
     * Reads every certificate of a PEM or DER file ({@link CertificateFiles#decode}): the one reader of trust-anchor,
     * intermediate and time-stamp-anchor files, for a policy, {@code verify --trust}, the node's trust store and the
     * SCAS harness.
     *
     * @param policyFile the policy naming the file, or null (then messages name only the file)
     * @param key        the policy key naming the file (in messages)
     * @param certFile   the file
     * @return at least one certificate, in file order
     * @throws PolicyException when the file is missing, unreadable, larger than {@value #MAX_CERTIFICATE_FILE_BYTES}
     *                         bytes or holds no certificate (saying what it holds when it is a private key or a policy)
     */
    public static List<X509Certificate> readCertificates(Path policyFile, String key, Path certFile) throws PolicyException {
        byte[] bytes;
        try {
            if (Files.size(certFile) > MAX_CERTIFICATE_FILE_BYTES) {
                throw new PolicyException(where(policyFile, key) + certFile + ": larger than " + MAX_CERTIFICATE_FILE_BYTES
                        + " bytes: not a certificate file");
            }
            bytes = Files.readAllBytes(certFile);
        } catch (IOException e) {
            throw new PolicyException(where(policyFile, key) + certFile + ": cannot read certificates: " + e.getMessage(), e);
        }
        List<X509Certificate> out;
        try {
            out = CertificateFiles.decode(bytes);
        } catch (CertificateException | RuntimeException e) {
            String what = notACertificate(policyFile, certFile);
            throw new PolicyException(where(policyFile, key) + certFile + (what.isEmpty()
                    ? ": cannot read certificates: " + e.getMessage() : ": no certificate in file" + what), e);
        }
        if (out.isEmpty()) {
            throw new PolicyException(where(policyFile, key) + certFile + ": no certificate in file" + notACertificate(policyFile, certFile));
        }
        return out;
    }

    /**
     * What a file that holds no certificate holds instead, when it is one of the files users confuse with a
     * certificate: a private key (PEM {@code PRIVATE KEY}, RFC 7468 §10/§11) or a trust policy (a YAML mapping
     * with a policy key); "" otherwise.
     */
    private static String notACertificate(Path policyFile, Path file) {
        String text;
        try {
            if (Files.size(file) > MAX_POLICY_BYTES) {
                return "";
            }
            text = Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
        if (text.contains("PRIVATE KEY-----")) {
            return " (it holds a private key; a trust anchor is the CA certificate that issued the signer's certificate)";
        }
        if (KEYS.stream().anyMatch(k -> text.contains(k + ":"))) {
            return " (it is a trust policy" + (policyFile == null ? "; did you mean --policy " + file + "?)" : ")");
        }
        return "";
    }

    /**
     * One line for a YAML syntax error, for every reader of a policy file: {@code FILE:LINE:COLUMN: YAML syntax
     * error: PROBLEM} (line and column 1-based, as the YAML parser reports them).
     */
    public static String syntaxError(Path file, com.fasterxml.jackson.core.JsonProcessingException e) {
        String problem = e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblem() != null
                ? m.getProblem() : String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse("");
        var at = e.getLocation();
        return file + (at == null ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr()) + ": YAML syntax error: " + problem.strip();
    }

    private static List<X509CRL> readCrls(Path policyFile, Path crlFile) throws PolicyException {
        try (InputStream in = Files.newInputStream(crlFile)) {
            List<X509CRL> out = new ArrayList<>();
            for (CRL c : CertificateFactory.getInstance("X.509").generateCRLs(in)) {
                out.add((X509CRL) c);
            }
            if (out.isEmpty()) {
                throw new PolicyException(where(policyFile, "crls") + crlFile + ": no CRL in file");
            }
            return out;
        } catch (IOException | CertificateException | CRLException | RuntimeException e) {
            throw new PolicyException(where(policyFile, "crls") + crlFile + ": cannot read CRL: " + e.getMessage(), e);
        }
    }

    private static String where(Path policyFile, String key) {
        return policyFile == null ? "" : policyFile + ": " + key + ": ";
    }
}
