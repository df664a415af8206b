package org.veripack.core.internal.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.veripack.core.internal.cms.BcProvider;

class DigestsTest {
    /**
     * Artifact hashing must use the JDK's provider (HotSpot compiles it to the CPU's SHA instructions),
     * never Bouncy Castle's pure-Java digest, also once Bouncy Castle is loaded for signature checks.
     */
    @Test
    void sha2DigestsComeFromTheJdkProviderEvenAfterBouncyCastleIsLoaded() {
        BcProvider.initialise();
        for (String alg : new String[] {"SHA-256", "SHA-384", "SHA-512"}) {
            assertEquals("SUN", Digests.newDigest(alg).getProvider().getName(), alg);
        }
    }
}
