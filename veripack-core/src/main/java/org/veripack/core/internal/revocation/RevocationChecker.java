package org.veripack.core.internal.revocation;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CRL;
import java.security.cert.CRLReason;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.jcajce.PKIXCertRevocationChecker;
import org.bouncycastle.jcajce.PKIXCertRevocationCheckerParameters;
import org.bouncycastle.jcajce.PKIXExtendedParameters;
import org.bouncycastle.jce.provider.PKIXCertPathValidatorSpi_8;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.core.internal.cms.BcProvider;

/**
 * Revocation status of one certificate of an already built certification path (RFC 5280 §6.3, RFC 6960),
 * decided from, in this order, until one gives a definitive answer:
 * <ol>
 *   <li>the policy's {@code crls:} files;</li>
 *   <li>OCSP (RFC 6960) to the policy's {@code ocspResponder} or else each {@code id-ad-ocsp} URI of the
 *       certificate's Authority Information Access extension: a request with a 16-byte nonce; the response
 *       must be {@code successful}, signed by the issuing CA itself or by a responder certificate the CA
 *       issued with EKU {@code id-kp-OCSPSigning} that is valid at the verification time (§4.2.2.2), echo
 *       the nonce when it carries one, answer for this CertID, and be fresh: {@code thisUpdate ≤ at + skew}
 *       and {@code nextUpdate ≥ at − skew} (without nextUpdate: {@code thisUpdate ≥ at − }{@link #MAX_AGE_WITHOUT_NEXT_UPDATE});</li>
 *   <li>CRLs fetched from the certificate's {@code http} CRL distribution points.</li>
 * </ol>
 *
 * <p>CRLs are processed by Bouncy Castle's PKIX CRL checker (bcprov {@code ProvRevocationChecker}, CRLs only,
 * no network access of its own), which implements RFC 5280 §6.3 in full: the CRL's scope (distribution
 * point and issuing distribution point names, {@code onlySomeReasons}, {@code onlyContainsUserCerts/CACerts/
 * AttributeCerts}, until every reason is covered), indirect CRLs ({@code cRLIssuer}, {@code indirectCRL},
 * the entries' {@code certificateIssuer}), delta CRLs, the choice and path validation of the CRL signer's
 * key (a separate CRL-signing key, a key rolled over by a self-issued certificate), {@code cRLSign}, and
 * unknown critical CRL and entry extensions. The JDK's PKIX revocation checker is not used because it has
 * no delta CRLs (PKITS 4.15). Veripack hands it the CRLs, the instant and the certificates, and reads its
 * answer:
 * <ul>
 *   <li>a CRL whose {@code nextUpdate} is after {@code at} is current and answers "good" or "revoked" as
 *       of {@code at};</li>
 *   <li>a stale CRL (or one without {@code nextUpdate}) only proves a revocation (revocation is final): the
 *       library is asked as of that CRL's own {@code thisUpdate};</li>
 *   <li>as in RFC 5280 §3.3, a CRL issued after the certificate expired is not evidence for it (the CA may
 *       have dropped the entry), so an expired certificate (time-stamped signatures) needs a CRL issued
 *       before its expiry, or OCSP;</li>
 *   <li>the library refuses to decide revocation as of an instant later than the machine's clock.</li>
 * </ul>
 * Evidence that does not verify is ignored and named in {@link Outcome#detail()}: it can make the status
 * UNKNOWN, never GOOD. All other times are compared with the verification instant {@code at}.
 */
public final class RevocationChecker {
    /** Tolerated clock difference between Veripack and CRL issuers/OCSP responders. */
    public static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    /** Largest age of an OCSP answer that has no nextUpdate. */
    public static final Duration MAX_AGE_WITHOUT_NEXT_UPDATE = Duration.ofHours(1);
    private static final int NONCE_BYTES = 16;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How Bouncy Castle's CRL checker words a revocation (RFC3280CertPathUtilities.checkCRLs). */
    private static final Pattern LIBRARY_REVOKED = Pattern.compile(
            "Certificate revocation after (\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4}), reason: (\\w+)");
    private static final DateTimeFormatter LIBRARY_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss Z");
    /** RFC 5280 §5.3.1 CRLReason names, by code (the order of {@link CRLReason}). */
    private static final List<String> REASON_NAMES = List.of("unspecified", "keyCompromise", "cACompromise",
            "affiliationChanged", "superseded", "cessationOfOperation", "certificateHold", "unknown", "removeFromCRL",
            "privilegeWithdrawn", "aACompromise");

    /** Revocation status. */
    public enum Status { GOOD, REVOKED, UNKNOWN }

    /**
     * @param status         the answer
     * @param revocationTime when REVOKED: the revocation date, or null when the source did not say; else null
     * @param reason         when REVOKED and a reason was given: the CRLReason; else null
     * @param detail         human-readable source of the answer, or why there was none
     */
    public record Outcome(Status status, Instant revocationTime, CRLReason reason, String detail) { }

    private final TrustPolicy policy;
    private final RevocationSource source;
    private final Instant at;
    private final List<X509Certificate> certificates;

    /**
     * @param certificates every certificate known to the verification (the CMS's, the package's, the
     *                     policy's intermediates): where the CRL checker looks for CRL signers
     */
    public RevocationChecker(TrustPolicy policy, RevocationSource source, Instant at, List<X509Certificate> certificates) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.source = Objects.requireNonNull(source, "source");
        this.at = Objects.requireNonNull(at, "at");
        this.certificates = List.copyOf(certificates);
    }

    /**
     * The status of {@code path.get(index)}, issued by {@code path.get(index + 1)}. Never throws for bad
     * revocation data.
     *
     * @param path  a validated certification path, the signer first and the trust anchor last
     * @param index the certificate to check, {@code 0 ≤ index < path.size() - 1}
     */
    public Outcome check(List<X509Certificate> path, int index) {
        X509Certificate cert = path.get(index);
        X509Certificate issuer = path.get(index + 1);
        List<String> notes = new ArrayList<>();
        Outcome o = fromCrls(path, index, policy.crls(), "policy CRL", notes);
        if (o != null) {
            return o;
        }
        for (URI responder : ocspResponders(cert)) {
            o = fromOcsp(cert, issuer, responder, notes);
            if (o != null) {
                return o;
            }
        }
        List<X509CRL> fetched = new ArrayList<>();
        List<String> from = new ArrayList<>();
        for (URI dp : distributionPoints(cert)) {
            try {
                fetched.addAll(parseCrls(source.fetchCrl(dp)));
                from.add(dp.toString());
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                notes.add("CRL " + dp + ": " + e.getMessage());
            }
        }
        if (!fetched.isEmpty()) {
            List<X509CRL> all = new ArrayList<>(policy.crls());
            all.addAll(fetched);
            o = fromCrls(path, index, all, "CRL " + String.join(", ", from), notes);
            if (o != null) {
                return o;
            }
        }
        if (notes.isEmpty()) {
            notes.add("no CRL in the policy, no OCSP responder and no CRL distribution point for this certificate");
        }
        return new Outcome(Status.UNKNOWN, null, null, String.join("; ", notes));
    }

    // --- CRL (RFC 5280 §5, §6.3), decided by Bouncy Castle's PKIX CRL checker ---

    /** The current CRLs' answer, else a revocation a stale CRL proves, else null (with the reason in notes). */
    private Outcome fromCrls(List<X509Certificate> path, int index, List<X509CRL> crls, String what, List<String> notes) {
        if (crls.isEmpty()) {
            return null;
        }
        List<X509CRL> current = new ArrayList<>();
        List<X509CRL> stale = new ArrayList<>();
        for (X509CRL crl : crls) {
            (crl.getNextUpdate() != null && crl.getNextUpdate().toInstant().isAfter(at) ? current : stale).add(crl);
        }
        if (!current.isEmpty()) {
            Outcome o = libraryCheck(path, index, current, at, what);
            if (o.status() != Status.UNKNOWN) {
                return o;
            }
            notes.add(o.detail());
        }
        for (X509CRL crl : stale) {
            Outcome o = libraryCheck(path, index, List.of(crl), crl.getThisUpdate().toInstant(), what);
            if (o.status() == Status.REVOKED) {
                return o;
            }
        }
        if (current.isEmpty()) {
            notes.add(what + ": no CRL is current at " + at + " (nextUpdate after it)");
        }
        return null;
    }

    /**
     * One run of Bouncy Castle's CRL checker (RFC 5280 §6.3) for {@code path.get(index)} as of {@code when},
     * with {@code crls} and {@link #certificates} as its only data. Revocation of the CRL signer's own path
     * (when it is not the certificate's issuer) is checked with the same CRLs.
     */
    private Outcome libraryCheck(List<X509Certificate> path, int index, List<X509CRL> crls, Instant when, String what) {
        X509Certificate cert = path.get(index);
        X509Certificate issuer = path.get(index + 1);
        try {
            List<Object> store = new ArrayList<>(certificates);
            store.addAll(path);
            store.addAll(crls);
            X509Certificate anchor = path.get(path.size() - 1);
            PKIXParameters base = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
            base.setDate(Date.from(when));
            base.setRevocationEnabled(true);
            base.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(store)));
            PKIXExtendedParameters params = new PKIXExtendedParameters.Builder(base).setUseDeltasEnabled(true)
                    .setTrustAnchor(new TrustAnchor(anchor, null)).build();
            CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path.subList(0, path.size() - 1));
            PKIXRevocationChecker checker = (PKIXRevocationChecker) new PKIXCertPathValidatorSpi_8().engineGetRevocationChecker();
            checker.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS, PKIXRevocationChecker.Option.NO_FALLBACK));
            checker.init(false);
            ((PKIXCertRevocationChecker) checker).initialize(new PKIXCertRevocationCheckerParameters(params, Date.from(when),
                    certPath, index, issuer, issuer.getPublicKey()));
            checker.check(cert, Set.of());
            return new Outcome(Status.GOOD, null, null, what);
        } catch (CertPathValidatorException e) {
            String message = String.valueOf(e.getMessage());
            Matcher m = LIBRARY_REVOKED.matcher(message);
            if (m.find()) {
                return revoked(m, what + " lists serial " + cert.getSerialNumber().toString(16));
            }
            // the library's advice after this (a system property that lets it fetch CRLs itself, unbounded)
            // does not apply: Veripack fetches distribution points through its RevocationSource
            int advice = message.indexOf(" Searched ");
            return new Outcome(Status.UNKNOWN, null, null, what + ": " + (advice < 0 ? message : message.substring(0, advice)));
        } catch (GeneralSecurityException | RuntimeException e) {
            return new Outcome(Status.UNKNOWN, null, null, what + ": CRL check failed: " + e);
        }
    }

    /** A revocation as the library reports it; an unreadable date or reason stays null (treated as the worst case). */
    private static Outcome revoked(Matcher m, String detail) {
        Instant date = null;
        try {
            date = OffsetDateTime.parse(m.group(1), LIBRARY_DATE).toInstant();
        } catch (DateTimeParseException e) {
            // null: the caller cannot place the revocation after a time-stamp
        }
        int code = REASON_NAMES.indexOf(m.group(2));
        return new Outcome(Status.REVOKED, date, code < 0 ? null : CRLReason.values()[code], detail);
    }

    private static List<X509CRL> parseCrls(byte[] bytes) throws GeneralSecurityException {
        List<X509CRL> out = new ArrayList<>();
        for (CRL c : CertificateFactory.getInstance("X.509").generateCRLs(new ByteArrayInputStream(bytes))) {
            out.add((X509CRL) c);
        }
        if (out.isEmpty()) {
            throw new GeneralSecurityException("no CRL in the response");
        }
        return out;
    }

    /** The {@code http(s)} full names of the certificate's CRL distribution points: where to fetch CRLs from. */
    private static List<URI> distributionPoints(X509Certificate cert) {
        List<URI> out = new ArrayList<>();
        try {
            byte[] ext = cert.getExtensionValue(Extension.cRLDistributionPoints.getId());
            if (ext == null) {
                return out;
            }
            CRLDistPoint dps = CRLDistPoint.getInstance(ASN1OctetString.getInstance(ext).getOctets());
            for (DistributionPoint dp : dps.getDistributionPoints()) {
                DistributionPointName name = dp.getDistributionPoint();
                if (name != null && name.getType() == DistributionPointName.FULL_NAME) {
                    addUris(GeneralNames.getInstance(name.getName()).getNames(), out);
                }
            }
        } catch (RuntimeException e) {
            // malformed extension: no distribution point
        }
        return out;
    }

    // --- OCSP (RFC 6960) ---

    private List<URI> ocspResponders(X509Certificate cert) {
        if (policy.ocspResponder().isPresent()) {
            return List.of(policy.ocspResponder().get());
        }
        List<URI> out = new ArrayList<>();
        try {
            byte[] ext = cert.getExtensionValue(Extension.authorityInfoAccess.getId());
            if (ext == null) {
                return out;
            }
            AuthorityInformationAccess aia = AuthorityInformationAccess.getInstance(ASN1OctetString.getInstance(ext).getOctets());
            List<GeneralName> names = new ArrayList<>();
            for (AccessDescription ad : aia.getAccessDescriptions()) {
                if (AccessDescription.id_ad_ocsp.equals(ad.getAccessMethod())) {
                    names.add(ad.getAccessLocation());
                }
            }
            addUris(names.toArray(new GeneralName[0]), out);
        } catch (RuntimeException e) {
            // malformed extension: no responder
        }
        return out;
    }

    private static void addUris(GeneralName[] names, List<URI> out) {
        for (GeneralName gn : names) {
            if (gn.getTagNo() == GeneralName.uniformResourceIdentifier) {
                try {
                    URI u = new URI(gn.getName().toString());
                    if ("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme())) {
                        out.add(u);
                    }
                } catch (java.net.URISyntaxException e) {
                    // skip
                }
            }
        }
    }

    private Outcome fromOcsp(X509Certificate cert, X509Certificate issuer, URI responder, List<String> notes) {
        String what = "OCSP " + responder;
        try {
            CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().setProvider(BcProvider.INSTANCE)
                    .build().get(CertificateID.HASH_SHA1), new JcaX509CertificateHolder(issuer), cert.getSerialNumber());
            byte[] nonce = new byte[NONCE_BYTES];
            RANDOM.nextBytes(nonce);
            OCSPReq req = new OCSPReqBuilder().addRequest(id)
                    .setRequestExtensions(new Extensions(Extension.create(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false,
                            new DEROctetString(nonce)))).build(); // RFC 8954 §2.1: Nonce ::= OCTET STRING
            byte[] answer;
            try {
                answer = source.ocsp(responder, req.getEncoded());
            } catch (IOException e) {
                notes.add(what + ": no answer: " + e.getMessage());
                return null;
            }
            OcspResponseCheck check = new OcspResponseCheck(at);
            BasicOCSPResp basic = check.basicResponse(answer, issuer, nonce, what, notes);
            if (basic == null) {
                return null;
            }
            for (SingleResp single : basic.getResponses()) {
                if (single.getCertID().equals(id)) {
                    return check.answerFor(single, what, notes);
                }
            }
            notes.add(what + ": response does not answer for this certificate");
            return null;
        } catch (IOException | OCSPException | GeneralSecurityException | RuntimeException
                 | org.bouncycastle.operator.OperatorCreationException e) {
            notes.add(what + ": unusable response: " + e.getMessage());
            return null;
        }
    }
}
