package org.veripack.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestTsa;

/** Holds the module dependency direction of docs/architecture.md: core ← node ← repo ← agent ← cli, core ← scas ← cli. */
class ArchitectureTest {
    /** The test kit's package (veripack-testkit); no production class lives in it. */
    private static final String TEST_KIT = "org.veripack.core.pki..";
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        // production classes and the test kit (a test-scope jar here); test classes are left out, also those of
        // veripack-core's test-jar, which resolves to a -tests.jar outside the reactor's test phase
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("org.veripack");
    }

    @Test
    void coreDependsOnNoOtherModule() {
        noClasses().that().resideInAPackage("org.veripack.core..")
                .should().dependOnClassesThat().resideInAnyPackage("org.veripack.node..", "org.veripack.scas..", "org.veripack.repo..", "org.veripack.agent..", "org.veripack.cli..")
                .check(classes);
    }

    @Test
    void nodeDependsNeitherOnCliNorScas() {
        noClasses().that().resideInAPackage("org.veripack.node..")
                .should().dependOnClassesThat().resideInAnyPackage("org.veripack.scas..", "org.veripack.repo..", "org.veripack.agent..", "org.veripack.cli..")
                .check(classes);
    }

    @Test
    void scasDependsNeitherOnCliNorNode() {
        noClasses().that().resideInAPackage("org.veripack.scas..")
                .should().dependOnClassesThat().resideInAnyPackage("org.veripack.node..", "org.veripack.repo..", "org.veripack.agent..", "org.veripack.cli..")
                .check(classes);
    }

    @Test
    void repoDependsNeitherOnCliNorScas() {
        noClasses().that().resideInAPackage("org.veripack.repo..")
                .should().dependOnClassesThat().resideInAnyPackage("org.veripack.scas..", "org.veripack.agent..", "org.veripack.cli..")
                .check(classes);
    }

    @Test
    void agentDependsNeitherOnCliNorScas() {
        assertTrue(classes.contain(org.veripack.agent.AuditExport.class), "the agent is imported, so the rule can fail");
        noClasses().that().resideInAPackage("org.veripack.agent..")
                .should().dependOnClassesThat().resideInAnyPackage("org.veripack.scas..", "org.veripack.cli..")
                .check(classes);
    }

    /**
     * The test kit (veripack-testkit: TestPki mints CAs and keys, TestTsa time-stamps anything) is test scope
     * only: no production class may use it. The SCAS harness has its own throw-away lab CA, {@code HarnessPki}.
     */
    @Test
    void productionCodeDoesNotDependOnTheTestKit() {
        assertTrue(classes.contain(TestPki.class) && classes.contain(TestTsa.class), "the test kit is imported, so the rule can fail");
        noClasses().that().resideOutsideOfPackage(TEST_KIT)
                .should().dependOnClassesThat().resideInAPackage(TEST_KIT)
                .check(classes);
    }

    @Test
    void noModuleReachesIntoAnotherModulesInternals() {
        for (String module : new String[] {"core", "node", "scas", "repo", "agent", "cli"}) {
            noClasses().that().resideOutsideOfPackage("org.veripack." + module + "..")
                    .should().dependOnClassesThat().resideInAPackage("org.veripack." + module + ".internal..")
                    .check(classes);
        }
    }
}
