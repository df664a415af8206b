package org.veripack.core.internal.cms;

import java.io.IOException;
import java.io.InputStream;

/** The bytes a detached CMS signature covers, opened as a fresh stream on each call. */
@FunctionalInterface
public interface SignedContent {
    InputStream open() throws IOException;
}
