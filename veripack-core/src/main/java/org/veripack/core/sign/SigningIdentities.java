package org.veripack.core.sign;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.veripack.core.PolicyException;
import org.veripack.core.internal.cms.CertificateFiles;

/**
 * Loads a {@link SigningIdentity} from files, as {@code veripack sign --key KEY --cert CERT [--chain PEM]}
 * needs:
 * <ul>
 *   <li>private key: PEM {@code PRIVATE KEY} (unencrypted PKCS#8, RFC 5958 / RFC 7468 §10) or the
 *       traditional OpenSSL {@code EC PRIVATE KEY} (RFC 5915) / {@code RSA PRIVATE KEY} (PKCS#1) blocks;
 *       EC P-256/P-384/P-521, RSA ≥ 2048 bits, Ed25519;</li>
 *   <li>certificate: PEM {@code CERTIFICATE} (the first block is the signer) or DER;</li>
 *   <li>chain: optional PEM bundle of intermediates embedded in the CMS;</li>
 *   <li>or a PKCS#12 file (RFC 7292) with one private-key entry and its certificate chain.</li>
 * </ul>
 * The private key must match the certificate's public key (checked by a test signature).
 * Every failure is a {@link PolicyException} whose message names the file (the CLI maps it to exit 2).
 */
public final class SigningIdentities {
    private SigningIdentities() { }

    /**
     * Loads a PEM private key, a certificate and an optional chain bundle.
     *
     * @param keyFile   PEM private key
     * @param certFile  signer certificate (PEM or DER); further PEM blocks in it are added to the chain
     * @param chainFile PEM bundle of intermediates, or null
     * @throws PolicyException when a file is missing, unreadable, not of the expected kind, encrypted,
     *         of an unsupported key type or size, or the key does not match the certificate
     */
    public static SigningIdentity fromPem(Path keyFile, Path certFile, Path chainFile) throws PolicyException {
        PrivateKey key = readPrivateKey(keyFile);
        List<X509Certificate> certs = readCertificates(certFile);
        List<X509Certificate> chain = new ArrayList<>(certs.subList(1, certs.size()));
        if (chainFile != null) {
            chain.addAll(readCertificates(chainFile));
        }
        return checked(new SigningIdentity(key, certs.get(0), chain), keyFile.toString());
    }

    /**
     * Loads the (single) private-key entry of a PKCS#12 file with its certificate chain.
     *
     * @param chainFile extra PEM intermediates, or null
     * @throws PolicyException when the file is missing, the password is wrong, there is no or more than
     *         one key entry, or the key is unsupported
     */
    public static SigningIdentity fromPkcs12(Path p12File, char[] password, Path chainFile) throws PolicyException {
        KeyStore ks;
        try (InputStream in = Files.newInputStream(p12File)) {
            ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
        } catch (IOException | GeneralSecurityException e) {
            throw new PolicyException(p12File + ": cannot read PKCS#12 (missing file, wrong password or not PKCS#12): "
                    + e.getMessage(), e);
        }
        try {
            String alias = null;
            for (Enumeration<String> e = ks.aliases(); e.hasMoreElements();) {
                String a = e.nextElement();
                if (ks.isKeyEntry(a)) {
                    if (alias != null) {
                        throw new PolicyException(p12File + ": more than one private key entry");
                    }
                    alias = a;
                }
            }
            if (alias == null) {
                throw new PolicyException(p12File + ": no private key entry");
            }
            Key key = ks.getKey(alias, password);
            if (!(key instanceof PrivateKey)) {
                throw new PolicyException(p12File + ": entry " + alias + " is not a private key");
            }
            Certificate[] path = ks.getCertificateChain(alias);
            if (path == null || path.length == 0 || !(path[0] instanceof X509Certificate)) {
                throw new PolicyException(p12File + ": private key entry has no X.509 certificate");
            }
            List<X509Certificate> chain = new ArrayList<>();
            for (int i = 1; i < path.length; i++) {
                chain.add((X509Certificate) path[i]);
            }
            if (chainFile != null) {
                chain.addAll(readCertificates(chainFile));
            }
            return checked(new SigningIdentity((PrivateKey) key, (X509Certificate) path[0], chain), p12File.toString());
        } catch (GeneralSecurityException e) {
            throw new PolicyException(p12File + ": cannot read private key: " + e.getMessage(), e);
        }
    }

    /**
     * Loads a private key that stays in a PKCS#11 token (an HSM), through the JDK's SunPKCS11 provider
     * configured by {@code configFile} (SunPKCS11 configuration: {@code name}, {@code library},
     * {@code slot}/{@code slotListIndex}/{@code tokenLabel}, …). The key is the token's key entry whose
     * alias (SunPKCS11: the CKA_LABEL) is {@code keyLabel}; its certificate is the entry's certificate
     * (the token must hold it with the key's CKA_ID) or, when the token has none, the first of
     * {@code certFile}. The configured provider is added to the JVM's providers so that JCA finds it for the
     * non-extractable key (its private key bytes never leave the token).
     *
     * @param pin       the token user PIN
     * @param certFile  signer certificate when the token holds none, or null
     * @param chainFile PEM intermediates, or null
     * @throws PolicyException when the configuration or library cannot be loaded, the PIN is wrong, there is no
     *         key with that label, no certificate, or the key does not match the certificate
     */
    public static SigningIdentity fromPkcs11(Path configFile, String keyLabel, char[] pin, Path certFile, Path chainFile)
            throws PolicyException {
        java.security.Provider provider;
        try {
            java.security.Provider base = java.security.Security.getProvider("SunPKCS11");
            if (base == null) {
                throw new PolicyException("this JDK has no SunPKCS11 provider");
            }
            provider = base.configure(configFile.toString());
        } catch (RuntimeException e) {
            throw new PolicyException(configFile + ": cannot configure SunPKCS11: " + e.getMessage(), e);
        }
        KeyStore ks;
        try {
            ks = KeyStore.getInstance("PKCS11", provider);
            ks.load(null, pin);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new PolicyException(configFile + ": cannot log in to the PKCS#11 token (wrong PIN or no token): "
                    + e.getMessage(), e);
        }
        try {
            Key key = ks.getKey(keyLabel, null);
            if (!(key instanceof PrivateKey)) {
                throw new PolicyException(configFile + ": no private key labelled '" + keyLabel + "' on the token"
                        + " (SunPKCS11 lists a key only when the token holds its certificate with the same CKA_ID)");
            }
            Certificate[] path = ks.getCertificateChain(keyLabel);
            List<X509Certificate> certs = new ArrayList<>();
            if (certFile != null) {
                certs.addAll(readCertificates(certFile));
            } else if (path != null) {
                for (Certificate c : path) {
                    certs.add((X509Certificate) c);
                }
            }
            if (certs.isEmpty()) {
                throw new PolicyException(configFile + ": no certificate for key '" + keyLabel + "' (give --cert)");
            }
            List<X509Certificate> chain = new ArrayList<>(certs.subList(1, certs.size()));
            if (chainFile != null) {
                chain.addAll(readCertificates(chainFile));
            }
            if (java.security.Security.getProvider(provider.getName()) == null) {
                java.security.Security.addProvider(provider);
            }
            return checked(new SigningIdentity((PrivateKey) key, certs.get(0), chain), configFile + " key " + keyLabel);
        } catch (GeneralSecurityException e) {
            throw new PolicyException(configFile + ": cannot read key '" + keyLabel + "': " + e.getMessage(), e);
        }
    }

    /**
     * Reads one unencrypted private key from a PEM file.
     *
     * @throws PolicyException when the file is missing/unreadable, holds no private key, holds an
     *         encrypted key, or a key of unsupported type
     */
    public static PrivateKey readPrivateKey(Path keyFile) throws PolicyException {
        Object obj;
        try (Reader r = new InputStreamReader(Files.newInputStream(keyFile), StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(r)) {
            obj = parser.readObject();
        } catch (IOException | RuntimeException e) {
            throw new PolicyException(keyFile + ": cannot read private key: " + e.getMessage(), e);
        }
        if (obj instanceof PKCS8EncryptedPrivateKeyInfo || obj instanceof PEMEncryptedKeyPair) {
            throw new PolicyException(keyFile + ": encrypted private keys are not supported; use PKCS#12 or an unencrypted PKCS#8 key");
        }
        PrivateKeyInfo info;
        if (obj instanceof PrivateKeyInfo) {
            info = (PrivateKeyInfo) obj;
        } else if (obj instanceof PEMKeyPair) {
            info = ((PEMKeyPair) obj).getPrivateKeyInfo();
        } else {
            throw new PolicyException(keyFile + ": no PEM private key found (expected PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)");
        }
        try {
            return new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (IOException | RuntimeException e) {
            throw new PolicyException(keyFile + ": unsupported private key: " + e.getMessage(), e);
        }
    }

    /**
     * Reads all certificates of a PEM bundle (or a single DER certificate).
     *
     * @return at least one certificate, in file order
     * @throws PolicyException when the file is missing/unreadable or holds no certificate
     */
    public static List<X509Certificate> readCertificates(Path file) throws PolicyException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new PolicyException(file + ": cannot read certificate file: " + e.getMessage(), e);
        }
        List<X509Certificate> out;
        try {
            out = CertificateFiles.decode(bytes);
        } catch (CertificateException | RuntimeException e) {
            // the provider's message names Java exception classes ("java.io.IOException: Empty input"): not for users
            throw new PolicyException(file + ": not a valid certificate file (neither PEM CERTIFICATE blocks nor one DER certificate)", e);
        }
        if (out.isEmpty()) {
            throw new PolicyException(file + ": no CERTIFICATE found");
        }
        return Collections.unmodifiableList(out);
    }

    private static SigningIdentity checked(SigningIdentity id, String source) throws PolicyException {
        PublicKey pub = id.certificate().getPublicKey();
        if (pub instanceof RSAPublicKey && ((RSAPublicKey) pub).getModulus().bitLength() < 2048) {
            throw new PolicyException(source + ": RSA key shorter than 2048 bits");
        }
        if (pub instanceof ECPublicKey) {
            int bits = ((ECPublicKey) pub).getParams().getCurve().getField().getFieldSize();
            if (bits != 256 && bits != 384 && bits != 521) {
                throw new PolicyException(source + ": EC curve of " + bits + " bits is not supported (P-256, P-384, P-521)");
            }
        }
        String alg;
        try {
            alg = CmsSigner.signatureAlgorithm(pub, "SHA-256", false);
        } catch (IllegalArgumentException e) {
            throw new PolicyException(source + ": " + e.getMessage(), e);
        }
        if (!keyMatches(id.privateKey(), pub, alg)) {
            throw new PolicyException(source + ": the private key does not match the certificate "
                    + id.certificate().getSubjectX500Principal().getName());
        }
        return id;
    }

    private static boolean keyMatches(PrivateKey priv, PublicKey pub, String alg) {
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature s = Signature.getInstance(alg);
            s.initSign(priv);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(challenge);
            return v.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
