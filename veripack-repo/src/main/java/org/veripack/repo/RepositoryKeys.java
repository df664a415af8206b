package org.veripack.repo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.veripack.core.PolicyException;
import org.veripack.core.sign.SigningIdentities;
import org.veripack.repo.tuf.TufKey;

/**
 * The publisher's private keys: {@code KEYDIR/<role>-<n>.pem}, unencrypted PKCS#8 PEM (Ed25519 or EC P-256), mode
 * 0600, never inside the served repository directory (docs/repository.md "Keys"). A key signs for every role whose
 * root entry lists its public key, so one file may serve several roles.
 */
public final class RepositoryKeys {
    /** Key types {@code repo init --key-type} creates. */
    public enum KeyType { ED25519, ECDSA_P256 }

    private final Path dir;
    private final Map<TufKey, PrivateKey> keys;
    private final List<Path> readableByOthers;

    private RepositoryKeys(Path dir, Map<TufKey, PrivateKey> keys, List<Path> readableByOthers) {
        this.dir = dir;
        this.keys = keys;
        this.readableByOthers = List.copyOf(readableByOthers);
    }

    /**
     * Refuses a key file or directory inside the served repository directory (docs/repository.md "Layout": private
     * keys never inside DIR; everything there is public), compared after resolving symbolic links, so a link to the
     * keys inside DIR, or DIR reached through a link, is refused too. A path that does not exist yet is resolved from
     * its nearest existing parent. DIR reached through a bind mount (another path to the same directory) is recognised
     * by file identity ({@link Files#isSameFile}: device and inode).
     *
     * @param option the option that named {@code keys}, for the message ({@code --keys}, {@code --key})
     * @throws PolicyException when {@code keys} is inside {@code repoDir} (CLI exit 2)
     */
    public static void requireOutside(Path repoDir, Path keys, String option) throws IOException, PolicyException {
        if (real(keys).startsWith(real(repoDir)) || anyAncestorIs(real(keys), repoDir)) {
            throw new PolicyException(option + " " + keys + " is inside the repository " + repoDir
                    + ", which is served as it is: keep the keys elsewhere");
        }
    }

    /**
     * Whether {@code dir} (when it exists) is the same directory as {@code p} or one of its parents by file identity
     * (device and inode, {@link Files#isSameFile}): the repository reached through a bind mount has another path.
     */
    private static boolean anyAncestorIs(Path p, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        for (Path a = p; a != null; a = a.getParent()) {
            if (Files.exists(a) && Files.isSameFile(a, dir)) {
                return true;
            }
        }
        return false;
    }

    private static Path real(Path p) throws IOException {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing == null ? abs : existing.toRealPath().resolve(existing.relativize(abs));
    }

    /**
     * Reads every {@code *.pem} private key of {@code dir}.
     *
     * @throws PolicyException when a key file cannot be read or is not Ed25519/P-256 (CLI exit 2)
     */
    public static RepositoryKeys load(Path dir) throws IOException, PolicyException {
        Map<TufKey, PrivateKey> keys = new LinkedHashMap<>();
        List<Path> exposed = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.pem")) {
                ds.forEach(files::add);
            }
            files.sort(null);
            for (Path f : files) {
                var mode = Files.getPosixFilePermissions(f);
                if (mode.contains(PosixFilePermission.GROUP_READ) || mode.contains(PosixFilePermission.OTHERS_READ)) {
                    exposed.add(f);
                }
                PrivateKey k = SigningIdentities.readPrivateKey(f);
                try {
                    keys.put(TufKey.of(publicKeyOf(k)), k);
                } catch (IllegalArgumentException | GeneralSecurityException e) {
                    throw new PolicyException(f + ": " + e.getMessage(), e);
                }
            }
        }
        return new RepositoryKeys(dir, keys, exposed);
    }

    public Path directory() { return dir; }

    /** The key files {@link #load} read that group or others may read (a private key file should be 0600). */
    public List<Path> readableByOthers() { return readableByOthers; }

    /**
     * A repository key on a PKCS#11 token (an HSM): the private key never leaves the token, the public key comes from the
     * certificate the token holds with it. ECDSA P-256 (the curve SoftHSM2 and HSMs offer); signatures are made by the
     * token through SunPKCS11 ({@code SHA256withECDSA}, DER, as TUF's {@code ecdsa-sha2-nistp256} scheme wants).
     *
     * @param privateKey the token's key (not extractable)
     * @param publicKey  its public half
     */
    public record Token(PrivateKey privateKey, PublicKey publicKey) {
        /**
         * The key labelled {@code label} on the token SunPKCS11 reaches through {@code config}, as
         * {@link SigningIdentities#fromPkcs11} (the one PKCS#11 loader; the token must hold the key's certificate).
         *
         * @throws PolicyException when the token, PIN or label is wrong, or the key is not Ed25519 or ECDSA P-256
         */
        public static Token fromPkcs11(Path config, String label, char[] pin) throws PolicyException {
            var id = SigningIdentities.fromPkcs11(config, label, pin, null, null);
            PublicKey pub = id.certificate().getPublicKey();
            try {
                TufKey.of(pub);
            } catch (IllegalArgumentException e) {
                throw new PolicyException(config + " key " + label + ": " + e.getMessage(), e);
            }
            return new Token(id.privateKey(), pub);
        }
    }

    /** Adds a token's key: it signs for every role whose root entry lists its public key, like a KEYDIR file. */
    public void add(Token token) {
        keys.put(TufKey.of(token.publicKey()), token.privateKey());
    }

    /** The private key of {@code key}, if this directory has it. */
    public PrivateKey privateKey(TufKey key) { return keys.get(key); }

    /** The public keys whose private halves this directory holds. */
    public List<TufKey> publicKeys() { return List.copyOf(keys.keySet()); }

    /**
     * Creates {@code KEYDIR/<name>.pem} (0600, the directory 0700 when created) unless it exists, and returns its key.
     *
     * @throws IOException when the file cannot be written
     */
    public TufKey createIfMissing(String name, KeyType type) throws IOException, PolicyException {
        Path f = dir.resolve(name + ".pem");
        if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            KeyPair kp;
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance(type == KeyType.ED25519 ? "Ed25519" : "EC");
                if (type == KeyType.ECDSA_P256) {
                    g.initialize(new ECGenParameterSpec("secp256r1"));
                }
                kp = g.generateKeyPair();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            String pem = "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(kp.getPrivate().getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
            Files.write(f, pem.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
            TufKey key = TufKey.of(kp.getPublic());
            keys.put(key, kp.getPrivate());
            return key;
        }
        PrivateKey k = SigningIdentities.readPrivateKey(f);
        try {
            TufKey key = TufKey.of(publicKeyOf(k));
            keys.put(key, k);
            return key;
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new PolicyException(f + ": " + e.getMessage(), e);
        }
    }

    /**
     * The public key in a PEM {@code file}: a public key (SubjectPublicKeyInfo, what a key holder hands over, e.g.
     * {@code openssl pkey -pubout}) or a private key whose public half is derived. For {@code repo rotate-root
     * --add-key}.
     *
     * @throws PolicyException when the file holds neither, or a key that is not Ed25519 or ECDSA P-256
     */
    public static PublicKey readPublicKey(Path file) throws PolicyException {
        Object o;
        try (var p = new org.bouncycastle.openssl.PEMParser(Files.newBufferedReader(file, StandardCharsets.US_ASCII))) {
            o = p.readObject();
        } catch (IOException | RuntimeException e) {
            throw new PolicyException(file + ": cannot read a PEM key: " + e.getMessage(), e);
        }
        try {
            PublicKey pub = o instanceof org.bouncycastle.asn1.x509.SubjectPublicKeyInfo spki
                    ? new JcaPEMKeyConverter().getPublicKey(spki) : publicKeyOf(SigningIdentities.readPrivateKey(file));
            TufKey.of(pub); // Ed25519 or P-256 only
            return pub;
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new PolicyException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The public key of an Ed25519 or EC private key (Bouncy Castle derives it from the PKCS#8 encoding).
     *
     * @throws GeneralSecurityException when the key is neither
     */
    public static PublicKey publicKeyOf(PrivateKey k) throws GeneralSecurityException {
        try {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(k.getEncoded());
            org.bouncycastle.crypto.params.AsymmetricKeyParameter priv = org.bouncycastle.crypto.util.PrivateKeyFactory.createKey(info);
            org.bouncycastle.asn1.x509.SubjectPublicKeyInfo spki;
            if (priv instanceof org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters ed) {
                spki = org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(ed.generatePublicKey());
            } else if (priv instanceof org.bouncycastle.crypto.params.ECPrivateKeyParameters ec) {
                org.bouncycastle.math.ec.ECPoint q = ec.getParameters().getG().multiply(ec.getD()).normalize();
                spki = org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(
                        new org.bouncycastle.crypto.params.ECPublicKeyParameters(q, ec.getParameters()));
            } else {
                throw new GeneralSecurityException("TUF keys are Ed25519 or ECDSA P-256, not " + k.getAlgorithm());
            }
            return new JcaPEMKeyConverter().getPublicKey(spki);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
    }

    /** The key as the JDK's provider reads it (a PKCS#8 round trip), so JCA signatures accept it. */
    static PrivateKey jca(PrivateKey k) throws GeneralSecurityException {
        String alg = k.getAlgorithm().startsWith("Ed") ? "Ed25519" : "EC";
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(k.getEncoded()));
    }
}
