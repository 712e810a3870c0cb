package io.github.rpo4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/java.md as a new user follows it: install rpo4j with the page's command, write the page's pom, data and
 * program into an empty project, build and run it with the page's command, and read its typed metrics.
 *
 * <p>Both Maven runs use a fresh local repository, so nothing earlier installed there is used and the user's
 * ~/.m2 is not written; third-party artifacts are copied into it from the local repository of the Maven
 * running this test (a file repository listed first), and only what that lacks comes from Maven Central.
 */
class JavaGuideTest {

    private static final Pattern FILE_BLOCK = Pattern.compile("<!-- file: (\\S+) -->\\n```\\w*\\n(.*?)```", Pattern.DOTALL);
    private static final long MINUTES = 8;

    @TempDir
    Path tmp;

    @Test
    void theGuidesProjectBuildsAgainstTheInstalledArtifactsAndRunsToTypedMetrics() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent(); // surefire runs in the examples module
        String guide = Files.readString(root.resolve("docs/java.md"));
        assertTrue(guide.contains("```bash\nmvn -q install -DskipTests -pl rpo-core -am\n```"), "the install command");
        assertTrue(guide.contains("```bash\ncd own-task\nmvn -q compile exec:exec\n```"), "the run command");

        Path repository = tmp.resolve("repository");
        Path settings = writeSettings(tmp.resolve("settings.xml"));

        // Step 1 of the guide, in this repository, into the fresh local repository.
        run(root, List.of("-q", "install", "-DskipTests", "-pl", "rpo-core", "-am"), settings, repository);
        Path installed = repository.resolve("io/github/rpo4j/rpo-core/0.1.0-SNAPSHOT");
        for (String jar : List.of("rpo-core-0.1.0-SNAPSHOT.jar", "rpo-core-0.1.0-SNAPSHOT-sources.jar",
                "rpo-core-0.1.0-SNAPSHOT-javadoc.jar")) {
            assertTrue(Files.isRegularFile(installed.resolve(jar)), "installed " + jar);
        }

        // Step 2: the project's files, exactly as on the page.
        Map<String, String> files = fileBlocks(guide);
        assertEquals(List.of("pom.xml", "data/train.jsonl", "data/eval.jsonl", "src/main/java/example/OwnTask.java"),
                new ArrayList<>(files.keySet()));
        Path project = tmp.resolve("own-task");
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path file = project.resolve(f.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, f.getValue());
        }

        // Step 3: build and run.
        String out = run(project, List.of("-q", "compile", "exec:exec"), settings, repository);
        assertTrue(out.matches("(?s).*SFT: 80 steps, loss \\d+\\.\\d+ -> \\d+\\.\\d+.*"), out);
        assertTrue(out.matches("(?s).*M0: greedy accuracy [01]\\.\\d\\d, 95% CI \\[\\d\\.\\d{3}, \\d\\.\\d{3}], pairs -, "
                + "loss -.*"), out);
        assertTrue(out.matches("(?s).*M1: greedy accuracy [01]\\.\\d\\d, 95% CI \\[\\d\\.\\d{3}, \\d\\.\\d{3}], pairs \\d+, "
                + "loss (\\d+\\.\\d{3}|-).*"), out);
        assertTrue(out.contains("final model: runs/rpo/iter-1/model"), out);
        assertEquals(2, Files.readAllLines(project.resolve("runs/rpo/metrics.jsonl")).size());
        assertTrue(!out.contains("No SLF4J providers"), "a binding is on the classpath: " + out);
        assertTrue(!out.contains("[main] INFO org.nd4j"), "ND4J's start-up lines are kept out of the log: " + out);

        // What a user's project gets on its compile classpath: no test framework.
        Path classpathFile = tmp.resolve("classpath.txt");
        run(project, List.of("-q", "dependency:build-classpath", "-Dmdep.includeScope=compile",
                "-Dmdep.outputFile=" + classpathFile), settings, repository);
        String classpath = Files.readString(classpathFile);
        assertTrue(classpath.contains("/org/nd4j/nd4j-native/"), classpath);
        for (String unwanted : List.of("/org/junit/", "/junit/junit/", "/org/apache/pdfbox/")) {
            assertTrue(!classpath.contains(unwanted), unwanted + " on the compile classpath: " + classpath);
        }
    }

    /** The page's {@code <!-- file: PATH -->} code blocks, in page order. */
    static Map<String, String> fileBlocks(String markdown) {
        Map<String, String> files = new LinkedHashMap<>();
        Matcher m = FILE_BLOCK.matcher(markdown);
        while (m.find()) {
            files.put(m.group(1), m.group(2));
        }
        return files;
    }

    /** Settings whose first repository is the local repository of the Maven running this test. */
    private static Path writeSettings(Path file) throws IOException {
        String seed = System.getProperty("rpo4j.test.localRepository");
        Path seedRepository = seed != null && !seed.isBlank() && !seed.contains("${")
                ? Path.of(seed) : Path.of(System.getProperty("user.home"), ".m2", "repository");
        String url = seedRepository.toUri().toString();
        String repository = "<id>seed</id><url>" + url + "</url><snapshots><enabled>false</enabled></snapshots>";
        Files.writeString(file, """
                <settings>
                  <profiles>
                    <profile>
                      <id>seed</id>
                      <repositories><repository>%s</repository></repositories>
                      <pluginRepositories><pluginRepository>%s</pluginRepository></pluginRepositories>
                    </profile>
                  </profiles>
                  <activeProfiles><activeProfile>seed</activeProfile></activeProfiles>
                </settings>
                """.formatted(repository, repository));
        return file;
    }

    /** Runs Maven in {@code directory}, failing the test with its output when it fails or runs too long. */
    private static String run(Path directory, List<String> arguments, Path settings, Path repository)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(mavenExecutable());
        command.add("-B");
        command.add("-s");
        command.add(settings.toString());
        command.add("-Dmaven.repo.local=" + repository);
        command.addAll(arguments);
        Path log = Files.createTempFile(repository.getParent(), "mvn", ".log");
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!process.waitFor(MINUTES, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail(String.join(" ", command) + " ran longer than " + MINUTES + " minutes:\n" + tail(log));
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            fail(String.join(" ", command) + " in " + directory + " failed with exit code " + process.exitValue()
                    + ":\n" + tail(log));
        }
        return output;
    }

    private static String tail(Path log) throws IOException {
        String s = Files.readString(log, StandardCharsets.UTF_8);
        return s.length() <= 6000 ? s : s.substring(s.length() - 6000);
    }

    /** The mvn of the Maven running this build (its home is passed by the surefire configuration), else PATH's. */
    private static String mavenExecutable() {
        String home = System.getProperty("rpo4j.test.mavenHome");
        if (home != null && !home.isBlank() && !home.contains("${")) {
            Path mvn = Path.of(home, "bin", System.getProperty("os.name").startsWith("Windows") ? "mvn.cmd" : "mvn");
            if (Files.isExecutable(mvn)) {
                return mvn.toString();
            }
        }
        return "mvn";
    }
}
