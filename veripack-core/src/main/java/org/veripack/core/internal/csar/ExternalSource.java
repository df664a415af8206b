package org.veripack.core.internal.csar;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A manifest {@code Source} (or TOSCA.meta {@code Name}) that names an artifact by URI rather than by a path in
 * the archive (SOL004 §4.3.3: an artifact "external to the package", referenced by URI, with its digest in the
 * manifest). The one place that tells the two kinds apart and says where a fetched artifact lives in the slot
 * ({@code docs/signed-metadata.md} "External artifacts").
 *
 * <p>A {@code Source} is a URI when it starts with an RFC 3986 §3.1 scheme of at least two characters followed
 * by {@code :} ({@code http:}, {@code https:}, {@code oci:}, {@code docker:} ...). One letter and a colon is a
 * drive letter, which {@link PathRules} refuses as a path; a relative path whose first segment holds a colon
 * must be written {@code ./a:b} (RFC 3986 §4.2).
 *
 * @param source      the value as written in the manifest (reported verbatim)
 * @param uri         the parsed URI, or null when it does not parse
 * @param installPath where the bytes go in the slot: {@code External/<host>[_<port>]/<path>} (host lower case,
 *                    the URI's decoded path), or null when the URI has none ({@link #unmappableReason()})
 */
public record ExternalSource(String source, URI uri, String installPath) {
    /** The slot directory that holds external artifacts. */
    public static final String DIRECTORY = "External";
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:");

    /** True when {@code source} names an artifact by URI (it has a scheme), not by a path in the archive. */
    public static boolean isUri(String source) {
        return SCHEME.matcher(source).find();
    }

    /** The external source {@code source} denotes, or empty when it is a path ({@link #isUri}). */
    public static Optional<ExternalSource> of(String source) {
        if (!isUri(source)) {
            return Optional.empty();
        }
        URI uri;
        try {
            uri = new URI(source);
        } catch (URISyntaxException e) {
            return Optional.of(new ExternalSource(source, null, null));
        }
        return Optional.of(new ExternalSource(source, uri, installPath(uri)));
    }

    /** The URI's scheme in lower case ({@code ""} when unparsable). */
    public String scheme() {
        return uri == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    }

    /** The URI's host in lower case, or {@code ""}. */
    public String host() {
        return uri == null || uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    }

    /** Why the URI has no {@link #installPath()}, or empty. */
    public Optional<String> unmappableReason() {
        if (uri == null) {
            return Optional.of("not a valid URI (RFC 3986)");
        }
        if (uri.getHost() == null || uri.isOpaque()) {
            return Optional.of("the URI has no host");
        }
        if (uri.getRawUserInfo() != null) {
            return Optional.of("the URI carries user information");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            return Optional.of("the URI has a query or fragment (no file name in the slot for it)");
        }
        return installPath == null ? Optional.of("the URI path names no file (empty, ends in '/', or has an unsafe segment)")
                : Optional.empty();
    }

    private static String installPath(URI uri) {
        if (uri.isOpaque() || uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            return null;
        }
        String path = uri.getPath();
        if (path == null || path.isEmpty() || path.endsWith("/")) {
            return null;
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT).replace(':', '_'); // IPv6 literals keep their brackets
        String candidate = DIRECTORY + "/" + host + (uri.getPort() >= 0 ? "_" + uri.getPort() : "") + "/"
                + (path.startsWith("/") ? path.substring(1) : path);
        if (PathRules.unsafeReason(candidate).isPresent()) {
            return null;
        }
        for (String segment : candidate.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) {
                return null; // one spelling per slot path: 'a//b' and 'a/./b' are not silently merged
            }
        }
        return candidate;
    }
}
