package org.veripack.core.internal.apt;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.veripack.core.PolicyException;

/**
 * The operator's trusted OpenPGP certificates (RFC 9580 §10.1 transferable public keys), read from
 * keyring files in binary form (a {@code .gpg} keyring such as Debian's
 * {@code /usr/share/keyrings/debian-archive-keyring.gpg}) or ASCII-armored ({@code .asc}).
 * A keyring is configuration: an unreadable file, a secret key, a keybox ({@code .kbx}) or any other
 * packet than a public key ring is a {@link PolicyException}.
 */
public final class OpenPgpKeyring {
    /** Keyring files larger than this are refused (Debian's is about 10 KiB). */
    static final long MAX_KEYRING_BYTES = 16L * 1024 * 1024;

    private final List<PGPPublicKeyRing> rings;

    private OpenPgpKeyring(List<PGPPublicKeyRing> rings) {
        this.rings = List.copyOf(rings);
    }

    /** Reads every file; at least one public key must result. */
    public static OpenPgpKeyring load(List<Path> files) throws PolicyException {
        if (files.isEmpty()) {
            throw new PolicyException("the trust policy names no OpenPGP keyring (openpgpKeyrings / --keyring)");
        }
        List<PGPPublicKeyRing> rings = new ArrayList<>();
        for (Path f : files) {
            rings.addAll(read(f));
        }
        if (rings.isEmpty()) {
            throw new PolicyException("the OpenPGP keyrings hold no public key: " + files);
        }
        return new OpenPgpKeyring(rings);
    }

    private static List<PGPPublicKeyRing> read(Path file) throws PolicyException {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_KEYRING_BYTES) {
                throw new PolicyException("OpenPGP keyring larger than " + MAX_KEYRING_BYTES + " bytes: " + file);
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new PolicyException("cannot read OpenPGP keyring " + file + ": " + e.getMessage(), e);
        }
        if (bytes.length >= 8 && new String(bytes, 8, Math.min(4, bytes.length - 8), java.nio.charset.StandardCharsets.ISO_8859_1).equals("KBXf")) {
            throw new PolicyException("keybox (.kbx) files are not supported; export the keys with gpg --export: " + file);
        }
        List<PGPPublicKeyRing> rings = new ArrayList<>();
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(bytes))) {
            BcPGPObjectFactory factory = new BcPGPObjectFactory(in);
            Object o;
            while ((o = factory.nextObject()) != null) {
                if (o instanceof PGPPublicKeyRing ring) {
                    rings.add(ring);
                } else if (!(o instanceof PGPMarker)) {
                    throw new PolicyException("OpenPGP keyring " + file + " holds a " + o.getClass().getSimpleName()
                            + ", expected public keys only");
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new PolicyException("OpenPGP keyring " + file + " cannot be parsed: " + e.getMessage(), e);
        }
        return rings;
    }

    /** A key (primary or subkey) in the keyring with its certificate. */
    public record KeyInRing(PGPPublicKeyRing ring, PGPPublicKey key) { }

    /**
     * Keys whose key ID is {@code keyId} and, when {@code fingerprint} is non-null, whose fingerprint
     * equals it (issuer fingerprint subpacket, RFC 9580 §5.2.3.35).
     */
    public List<KeyInRing> find(long keyId, byte[] fingerprint) {
        List<KeyInRing> out = new ArrayList<>();
        for (PGPPublicKeyRing ring : rings) {
            for (PGPPublicKey k : ring) {
                if (k.getKeyID() == keyId && (fingerprint == null || Arrays.equals(fingerprint, k.getFingerprint()))) {
                    out.add(new KeyInRing(ring, k));
                }
            }
        }
        return out;
    }

    /** Number of certificates (primary keys) held. */
    public int size() { return rings.size(); }
}
