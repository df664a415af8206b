package org.veripack.core.internal.cms;

import java.security.Provider;
import org.bouncycastle.jcajce.util.BCJcaJceHelper;

/**
 * The one Bouncy Castle JCA provider instance Veripack uses. It is passed explicitly to JCA/BC calls and
 * never registered with {@link java.security.Security}, so Veripack does not change the JVM's provider
 * order for its embedders. It is the instance Bouncy Castle's own PKIX classes use ({@link BCJcaJceHelper}:
 * the CRL checker of {@code RevocationChecker}), so the costly provider is built once per JVM.
 */
public final class BcProvider {
    /** Shared, stateless provider instance. */
    public static final Provider INSTANCE = new BCJcaJceHelper().getProvider();

    private BcProvider() { }

    /** Forces the provider's (costly: several hundred algorithm registrations) initialisation. */
    public static void initialise() {
        INSTANCE.getName();
    }
}
