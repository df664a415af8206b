package org.veripack.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --root NODE}: the node root directory (docs/node.md "Node root layout"). */
final class NodeRootOption {
    @Option(names = "--root", required = true, paramLabel = "NODE", description = "node root directory")
    Path root;
}
