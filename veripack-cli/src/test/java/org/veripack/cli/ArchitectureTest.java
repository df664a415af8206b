package org.veripack.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Holds the module dependency direction of docs/architecture.md: core ← node ← repo ← cli, core ← scas ← cli. */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.veripack");
    }

    @Test
    void coreDependsOnNoOtherModule() {
        noClasses().that().resideInAPackage("org.veripack.core..")
                .should().dependOnClassesThat().resideInAnyPackage("org.veripack.node..", "org.veripack.scas..", "org.veripack.repo..", "org.veripack.cli..")
                .check(classes);
    }

    @Test
    void nodeDependsNeitherOnCliNorScas() {
        noClasses().that().resideInAPackage("org.veripack.node..")
                .should().dependOnClassesThat().resideInAnyPackage("org.veripack.scas..", "org.veripack.repo..", "org.veripack.cli..")
                .check(classes);
    }

    @Test
    void scasDependsNeitherOnCliNorNode() {
        noClasses().that().resideInAPackage("org.veripack.scas..")
                .should().dependOnClassesThat().resideInAnyPackage("org.veripack.node..", "org.veripack.repo..", "org.veripack.cli..")
                .check(classes);
    }

    @Test
    void repoDependsNeitherOnCliNorScas() {
        noClasses().that().resideInAPackage("org.veripack.repo..")
                .should().dependOnClassesThat().resideInAnyPackage("org.veripack.scas..", "org.veripack.cli..")
                .check(classes);
    }

    @Test
    void noModuleReachesIntoAnotherModulesInternals() {
        for (String module : new String[] {"core", "node", "scas", "repo", "cli"}) {
            noClasses().that().resideOutsideOfPackage("org.veripack." + module + "..")
                    .should().dependOnClassesThat().resideInAPackage("org.veripack." + module + ".internal..")
                    .check(classes);
        }
    }
}
