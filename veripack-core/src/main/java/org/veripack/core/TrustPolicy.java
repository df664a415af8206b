package org.veripack.core;

import java.net.URI;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The operator's trust decisions (docs/reference.md "Trust policy keys"): trust anchors, extra intermediates,
 * algorithm and key-size rules, EKU requirement, revocation mode, signer authorisation, anti-rollback,
 * unsigned archive execute bits, resource limits and external artifacts. Immutable; secure by default; contradictory settings fail at {@link Builder#build()}.
 * The YAML form is read by {@code TrustPolicyLoader} (same package set), {@code --trust CA.pem} is
 * {@link #withAnchors(List)}.
 *
 * <p>Two kinds of trust anchor: X.509 root certificates (CMS-signed CSARs and detached files) and
 * OpenPGP keyrings (Debian repository chains, {@code org.veripack.core.apt.AptChainVerifier}). A policy
 * needs at least one of either; a policy holding only OpenPGP keyrings is valid and trusts no X.509
 * signer (CSAR verification under it reports {@link FindingCode#SIGNER_UNTRUSTED}), and a policy with
 * only X.509 anchors cannot verify an apt chain. {@code --keyring KEYRING} is {@link #withKeyrings(List)}.
 */
public final class TrustPolicy {
    /** The anyPolicy OID (RFC 5280 §4.2.1.4). */
    public static final String ANY_POLICY = "2.5.29.32.0";
    /** Digest algorithms allowed by default (JCA names). */
    public static final Set<String> DEFAULT_DIGESTS = Set.of("SHA-256", "SHA-384", "SHA-512");

    private final List<X509Certificate> trustAnchors;
    private final List<X509Certificate> intermediates;
    private final boolean requireCodeSigningEku;
    private final Set<String> allowedDigestAlgorithms;
    private final int minRsaKeyBits;
    private final RevocationMode revocation;
    private final List<X509CRL> crls;
    private final boolean antiRollback;
    private final ArchiveExecuteBits archiveExecuteBits;
    private final Map<String, List<String>> signers;
    private final Limits limits;
    private final List<Path> openpgpKeyrings;
    private final URI ocspResponder;
    private final List<X509Certificate> timestampAnchors;
    private final Map<String, List<String>> signerGroups;
    private final SignerRequirement requireSigners;
    private final List<Path> sourceFiles;
    private final Set<String> initialPolicies;
    private final boolean requireExplicitPolicy;
    private final boolean inhibitPolicyMapping;
    private final boolean inhibitAnyPolicy;
    private final ExternalArtifacts externalArtifacts;
    private final Set<String> externalArtifactHttpHosts;
    private final FetchTimeouts externalArtifactTimeouts;

    private TrustPolicy(Builder b) {
        this.trustAnchors = List.copyOf(b.trustAnchors);
        this.intermediates = List.copyOf(b.intermediates);
        this.requireCodeSigningEku = b.requireCodeSigningEku;
        this.allowedDigestAlgorithms = Set.copyOf(b.allowedDigestAlgorithms);
        this.minRsaKeyBits = b.minRsaKeyBits;
        this.revocation = b.revocation;
        this.crls = List.copyOf(b.crls);
        this.antiRollback = b.antiRollback;
        this.archiveExecuteBits = b.archiveExecuteBits;
        Map<String, List<String>> s = new LinkedHashMap<>();
        b.signers.forEach((k, v) -> s.put(k, List.copyOf(v)));
        this.signers = Map.copyOf(s);
        this.limits = b.limits;
        this.openpgpKeyrings = List.copyOf(b.openpgpKeyrings);
        this.ocspResponder = b.ocspResponder;
        this.timestampAnchors = List.copyOf(b.timestampAnchors);
        Map<String, List<String>> g = new LinkedHashMap<>();
        b.signerGroups.forEach((k, v) -> g.put(k, List.copyOf(v)));
        this.signerGroups = java.util.Collections.unmodifiableMap(g);
        this.requireSigners = b.requireSigners;
        this.sourceFiles = List.copyOf(b.sourceFiles);
        this.initialPolicies = Collections.unmodifiableSet(new LinkedHashSet<>(b.initialPolicies));
        this.requireExplicitPolicy = b.requireExplicitPolicy;
        this.inhibitPolicyMapping = b.inhibitPolicyMapping;
        this.inhibitAnyPolicy = b.inhibitAnyPolicy;
        this.externalArtifacts = b.externalArtifacts;
        this.externalArtifactHttpHosts = Set.copyOf(b.externalArtifactHttpHosts);
        this.externalArtifactTimeouts = b.externalArtifactTimeouts;
    }

    /** The policy {@code --trust CA.pem ...} means: these anchors and every default. */
    public static TrustPolicy withAnchors(List<X509Certificate> anchors) {
        return builder().trustAnchors(anchors).build();
    }

    /**
     * The policy {@code --keyring KEYRING ...} means: these OpenPGP keyrings (binary or ASCII-armored
     * transferable public keys, RFC 9580 §10.1), no X.509 anchor, and every default.
     */
    public static TrustPolicy withKeyrings(List<Path> keyrings) {
        return builder().openpgpKeyrings(keyrings).build();
    }

    public static Builder builder() { return new Builder(); }

    /** A builder holding this policy's settings, to derive a modified policy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.trustAnchors.addAll(trustAnchors);
        b.intermediates.addAll(intermediates);
        b.requireCodeSigningEku = requireCodeSigningEku;
        b.allowedDigestAlgorithms = allowedDigestAlgorithms;
        b.minRsaKeyBits = minRsaKeyBits;
        b.revocation = revocation;
        b.crls.addAll(crls);
        b.antiRollback = antiRollback;
        b.archiveExecuteBits = archiveExecuteBits;
        b.signers.putAll(signers);
        b.limits = limits;
        b.openpgpKeyrings.addAll(openpgpKeyrings);
        b.ocspResponder = ocspResponder;
        b.timestampAnchors.addAll(timestampAnchors);
        b.signerGroups.putAll(signerGroups);
        b.requireSigners = requireSigners;
        b.sourceFiles.addAll(sourceFiles);
        b.initialPolicies.addAll(initialPolicies);
        b.requireExplicitPolicy = requireExplicitPolicy;
        b.inhibitPolicyMapping = inhibitPolicyMapping;
        b.inhibitAnyPolicy = inhibitAnyPolicy;
        b.externalArtifacts = externalArtifacts;
        b.externalArtifactHttpHosts.addAll(externalArtifactHttpHosts);
        b.externalArtifactTimeouts = externalArtifactTimeouts;
        return b;
    }

    public List<X509Certificate> trustAnchors() { return trustAnchors; }
    public List<X509Certificate> intermediates() { return intermediates; }
    public boolean requireCodeSigningEku() { return requireCodeSigningEku; }
    /** JCA digest names ({@code SHA-256}...). */
    public Set<String> allowedDigestAlgorithms() { return allowedDigestAlgorithms; }
    public int minRsaKeyBits() { return minRsaKeyBits; }
    public RevocationMode revocation() { return revocation; }
    public List<X509CRL> crls() { return crls; }
    public boolean antiRollback() { return antiRollback; }
    /** What an unsigned zip execute bit becomes (YAML {@code archiveExecuteBits: ignore | honour}; default ignore). */
    public ArchiveExecuteBits archiveExecuteBits() { return archiveExecuteBits; }
    /** Package name to allowed signer subject DNs (RFC 4514) or {@code sha256:HEX} SPKI pins; empty = any trusted signer. */
    public Map<String, List<String>> signers() { return signers; }
    public Limits limits() { return limits; }
    /**
     * OpenPGP keyring files trusted for repository signatures (Debian {@code InRelease}); paths are as
     * resolved by the loader (the YAML key {@code openpgpKeyrings} is relative to the policy file).
     * Empty when the policy trusts no OpenPGP key.
     */
    public List<Path> openpgpKeyrings() { return openpgpKeyrings; }

    /**
     * OCSP responder (RFC 6960) asked for every certificate instead of the one in its Authority
     * Information Access extension; empty = use the AIA responder. YAML {@code ocspResponder: URL}.
     */
    public Optional<URI> ocspResponder() { return Optional.ofNullable(ocspResponder); }

    /**
     * Root certificates trusted for RFC 3161 time-stamping authorities (YAML {@code timestampAnchors}).
     * Empty: time-stamp tokens are not trusted (certificates are validated at the verification time, and
     * the report carries a warning when a token was present).
     */
    public List<X509Certificate> timestampAnchors() { return timestampAnchors; }

    /**
     * Named groups of signers (YAML {@code signerGroups: {vendor: ["CN=Acme Code Signing,O=Acme"], operator: ["sha256:HEX"]}}),
     * each entry a subject DN (RFC 4514) or a {@code sha256:HEX} SubjectPublicKeyInfo pin; used by
     * {@link #requireSigners()}. Insertion-ordered, unmodifiable.
     */
    public Map<String, List<String>> signerGroups() { return signerGroups; }

    /** Which signer groups must have signed (YAML {@code requireSigners}); empty = no multi-signer rule. */
    public Optional<SignerRequirement> requireSigners() { return Optional.ofNullable(requireSigners); }

    /**
     * The files this policy was read from: the policy file, anchor, intermediate, time-stamp anchor and
     * CRL files, keyrings (the node checks their ownership and mode, TS 33.117). Empty when built in code.
     */
    public List<Path> sourceFiles() { return sourceFiles; }

    /**
     * RFC 5280 §6.1.1 (c) user-initial-policy-set (YAML {@code initialPolicies: [OID, ...]}): the certificate
     * policies, as dotted OIDs, that the signer's certification path must be valid for (after policy
     * mapping, in the trust anchor's terms). Empty, the default, means any-policy. A path valid for none of
     * them is rejected only when explicit policy is required, by {@link #requireExplicitPolicy()} or by a
     * policyConstraints extension on the path (RFC 5280 §6.1.5 (g)).
     */
    public Set<String> initialPolicies() { return initialPolicies; }

    /**
     * RFC 5280 §6.1.1 (f) initial-explicit-policy (YAML {@code requireExplicitPolicy}, default false): the
     * path must be valid for at least one policy of {@link #initialPolicies()} (else {@code SIGNER_UNTRUSTED}).
     */
    public boolean requireExplicitPolicy() { return requireExplicitPolicy; }

    /** RFC 5280 §6.1.1 (e) initial-policy-mapping-inhibit (YAML {@code inhibitPolicyMapping}, default false). */
    public boolean inhibitPolicyMapping() { return inhibitPolicyMapping; }

    /** RFC 5280 §6.1.1 (g) initial-any-policy-inhibit (YAML {@code inhibitAnyPolicy}, default false). */
    public boolean inhibitAnyPolicy() { return inhibitAnyPolicy; }

    /**
     * What to do with an external artifact, a manifest {@code Source} that is a URI (SOL004 §4.3.3; YAML
     * {@code externalArtifacts}): {@link ExternalArtifacts#REJECT} (default) or {@link ExternalArtifacts#FETCH}.
     */
    public ExternalArtifacts externalArtifacts() { return externalArtifacts; }

    /**
     * Hosts (lower case, as in the URI: a name or an IP literal) from which external artifacts may be fetched over
     * plain {@code http} (YAML {@code externalArtifactHttpHosts}); every other host needs {@code https}. Empty by default.
     */
    public Set<String> externalArtifactHttpHosts() { return externalArtifactHttpHosts; }

    /** Time bounds of one external artifact download (YAML {@code externalArtifactTimeouts}). */
    public FetchTimeouts externalArtifactTimeouts() { return externalArtifactTimeouts; }

    /** {@link #externalArtifacts()}. */
    public enum ExternalArtifacts {
        /** An external artifact is {@link FindingCode#ARTIFACT_EXTERNAL}: nothing is downloaded. */
        REJECT,
        /**
         * An external artifact is downloaded ({@code https}, or {@code http} from {@link #externalArtifactHttpHosts()})
         * once the manifest signature verified, within {@link #externalArtifactTimeouts()} and the {@code limits} byte
         * bound, hashed while it arrives and compared with its signed digest; {@code install} writes it into the slot.
         */
        FETCH
    }

    /**
     * Time bounds of one download ({@code docs/signed-metadata.md} "External artifacts").
     *
     * @param connect time to establish the connection (TCP and TLS); exceeded → the artifact cannot be had
     * @param read    longest wait for the response or for the next bytes of the body; exceeded → {@link FindingCode#LIMIT_EXCEEDED}
     * @param total   longest time for the whole download; exceeded → {@link FindingCode#LIMIT_EXCEEDED}
     */
    public record FetchTimeouts(Duration connect, Duration read, Duration total) {
        /** 10 s to connect, 60 s without a byte, 1 hour in all. */
        public static final FetchTimeouts DEFAULT = new FetchTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofHours(1));

        public FetchTimeouts {
            for (Duration d : new Duration[] {connect, read, total}) {
                if (d == null || d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("externalArtifactTimeouts must be positive: " + connect + ", " + read + ", " + total);
                }
            }
        }
    }

    /**
     * A multi-signer rule: at least {@code threshold} of the named {@code groups} must each be matched by
     * a distinct valid signer (a signer — one certificate key — counts once, however many SignerInfos it
     * adds and however many groups it matches). {@code all: [a, b]} is threshold = number of groups.
     *
     * @param threshold how many groups must be satisfied, 1..groups.size()
     * @param groups    names of {@link #signerGroups()} entries
     */
    public record SignerRequirement(int threshold, List<String> groups) {
        public SignerRequirement {
            groups = List.copyOf(groups);
            if (groups.isEmpty() || threshold < 1 || threshold > groups.size()) {
                throw new IllegalArgumentException("requireSigners: threshold " + threshold + " must be 1.." + groups.size());
            }
            if (Set.copyOf(groups).size() != groups.size()) {
                throw new IllegalArgumentException("requireSigners names a group twice: " + groups);
            }
        }

        /** Every group: {@code all: [...]}. */
        public static SignerRequirement all(List<String> groups) {
            return new SignerRequirement(groups.size(), groups);
        }
    }

    /** Validating builder. */
    public static final class Builder {
        /** X.680 object identifier in dotted form: first arc 0-2, no leading zeros. */
        private static final Pattern OID = Pattern.compile("[0-2](\\.(0|[1-9][0-9]*))+");
        private final List<X509Certificate> trustAnchors = new ArrayList<>();
        private final List<X509Certificate> intermediates = new ArrayList<>();
        private boolean requireCodeSigningEku = true;
        private Set<String> allowedDigestAlgorithms = DEFAULT_DIGESTS;
        private int minRsaKeyBits = 2048;
        private RevocationMode revocation = RevocationMode.OFF;
        private final List<X509CRL> crls = new ArrayList<>();
        private boolean antiRollback = true;
        private ArchiveExecuteBits archiveExecuteBits = ArchiveExecuteBits.IGNORE;
        private final Map<String, List<String>> signers = new LinkedHashMap<>();
        private Limits limits = Limits.DEFAULT;
        private URI ocspResponder;
        private final List<X509Certificate> timestampAnchors = new ArrayList<>();
        private final Map<String, List<String>> signerGroups = new LinkedHashMap<>();
        private SignerRequirement requireSigners;
        private final List<Path> sourceFiles = new ArrayList<>();
        private final List<Path> openpgpKeyrings = new ArrayList<>();
        private final Set<String> initialPolicies = new LinkedHashSet<>();
        private boolean requireExplicitPolicy;
        private boolean inhibitPolicyMapping;
        private boolean inhibitAnyPolicy;
        private ExternalArtifacts externalArtifacts = ExternalArtifacts.REJECT;
        private final Set<String> externalArtifactHttpHosts = new java.util.TreeSet<>();
        private FetchTimeouts externalArtifactTimeouts = FetchTimeouts.DEFAULT;

        private Builder() { }

        public Builder trustAnchors(List<X509Certificate> anchors) { trustAnchors.addAll(anchors); return this; }
        public Builder intermediates(List<X509Certificate> certs) { intermediates.addAll(certs); return this; }
        public Builder requireCodeSigningEku(boolean v) { requireCodeSigningEku = v; return this; }
        public Builder allowedDigestAlgorithms(Set<String> v) { allowedDigestAlgorithms = Set.copyOf(v); return this; }
        public Builder minRsaKeyBits(int v) { minRsaKeyBits = v; return this; }
        public Builder revocation(RevocationMode v) { revocation = Objects.requireNonNull(v); return this; }
        public Builder crls(List<X509CRL> v) { crls.addAll(v); return this; }
        public Builder antiRollback(boolean v) { antiRollback = v; return this; }
        public Builder archiveExecuteBits(ArchiveExecuteBits v) { archiveExecuteBits = Objects.requireNonNull(v); return this; }
        public Builder signers(String packageName, List<String> allowed) { signers.put(packageName, List.copyOf(allowed)); return this; }
        public Builder limits(Limits v) { limits = Objects.requireNonNull(v); return this; }
        /** An {@code http:} URL of an OCSP responder asked instead of the certificates' AIA responders. */
        public Builder ocspResponder(URI v) { ocspResponder = v; return this; }
        public Builder timestampAnchors(List<X509Certificate> v) { timestampAnchors.addAll(v); return this; }
        public Builder signerGroup(String name, List<String> members) { signerGroups.put(name, List.copyOf(members)); return this; }
        public Builder requireSigners(SignerRequirement v) { requireSigners = v; return this; }
        public Builder sourceFiles(List<Path> v) { sourceFiles.addAll(v); return this; }
        /** Adds certificate policy OIDs to the user-initial-policy-set ({@link TrustPolicy#initialPolicies()}). */
        public Builder initialPolicies(Collection<String> oids) {
            oids.forEach(o -> initialPolicies.add(Objects.requireNonNull(o, "policy OID")));
            return this;
        }
        public Builder requireExplicitPolicy(boolean v) { requireExplicitPolicy = v; return this; }
        public Builder inhibitPolicyMapping(boolean v) { inhibitPolicyMapping = v; return this; }
        public Builder inhibitAnyPolicy(boolean v) { inhibitAnyPolicy = v; return this; }
        public Builder externalArtifacts(ExternalArtifacts v) { externalArtifacts = Objects.requireNonNull(v); return this; }
        /** Adds hosts from which plain {@code http} downloads of external artifacts are allowed (compared in lower case). */
        public Builder externalArtifactHttpHosts(java.util.Collection<String> hosts) {
            hosts.forEach(h -> externalArtifactHttpHosts.add(Objects.requireNonNull(h, "host").toLowerCase(java.util.Locale.ROOT)));
            return this;
        }
        public Builder externalArtifactTimeouts(FetchTimeouts v) { externalArtifactTimeouts = Objects.requireNonNull(v); return this; }
        /** Adds OpenPGP keyring files (binary or armored) trusted for repository signatures. */
        public Builder openpgpKeyrings(List<Path> keyrings) {
            keyrings.forEach(k -> openpgpKeyrings.add(Objects.requireNonNull(k, "keyring")));
            return this;
        }

        /**
         * @throws IllegalArgumentException when there is neither an X.509 trust anchor nor an OpenPGP
         *         keyring, a digest is not one of SHA-256/384/512, {@code minRsaKeyBits < 2048}, the OCSP
         *         responder is not an {@code http}/{@code https} URL, {@code requireSigners} names a
         *         group that {@code signerGroups} does not define (or a group is empty), or an initial policy
         *         is not a dotted OID
         */
        public TrustPolicy build() {
            if (trustAnchors.isEmpty() && openpgpKeyrings.isEmpty()) {
                throw new IllegalArgumentException("a trust policy needs at least one trust anchor or OpenPGP keyring");
            }
            if (allowedDigestAlgorithms.isEmpty() || !DEFAULT_DIGESTS.containsAll(allowedDigestAlgorithms)) {
                throw new IllegalArgumentException("allowedDigestAlgorithms must be a non-empty subset of "
                        + DEFAULT_DIGESTS + ": " + allowedDigestAlgorithms);
            }
            if (minRsaKeyBits < 2048) {
                throw new IllegalArgumentException("minRsaKeyBits below 2048 is unsafe: " + minRsaKeyBits);
            }
            if (ocspResponder != null && !("http".equalsIgnoreCase(ocspResponder.getScheme())
                    || "https".equalsIgnoreCase(ocspResponder.getScheme()))) {
                throw new IllegalArgumentException("ocspResponder must be an http(s) URL: " + ocspResponder);
            }
            for (String oid : initialPolicies) {
                if (!OID.matcher(oid).matches()) {
                    throw new IllegalArgumentException("initialPolicies: not a dotted object identifier: " + oid);
                }
            }
            signerGroups.forEach((name, members) -> {
                if (members.isEmpty()) {
                    throw new IllegalArgumentException("signerGroups." + name + " is empty");
                }
            });
            if (requireSigners != null) {
                for (String g : requireSigners.groups()) {
                    if (!signerGroups.containsKey(g)) {
                        throw new IllegalArgumentException("requireSigners names group '" + g + "' that signerGroups does not define");
                    }
                }
            }
            return new TrustPolicy(this);
        }
    }
}
