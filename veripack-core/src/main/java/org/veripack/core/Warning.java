package org.veripack.core;

import java.util.Objects;

/**
 * One note about a verification that does not change the verdict (warnings never accept or reject; README "Finding
 * codes"): unsigned input that was not used, or, where the operator chose it, was. Shaped like a {@link Finding} so
 * programs read both the same way; decisions compare the {@link #code()}, never the text.
 *
 * @param code    stable code ({@link WarningCode})
 * @param subject what the warning concerns: an artifact path, a manifest key, a certificate subject DN, an OpenPGP
 *                key id, {@code signature}, {@code package}; never null
 * @param detail  one human-readable sentence; not part of the stable contract, tests must not assert it
 */
public record Warning(WarningCode code, String subject, String detail) {
    public Warning {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(detail, "detail");
    }
}
