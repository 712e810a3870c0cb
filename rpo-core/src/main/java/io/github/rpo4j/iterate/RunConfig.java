package io.github.rpo4j.iterate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rpo4j.tensor.NativeThreads;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import org.slf4j.Logger;

/**
 * The run's config.json: {@code settings} (everything that decides the run's results, frozen at build()) and
 * {@code provenance} (what ran it: rpo4j, ND4J, Java and OS versions, native threads, seed, command line). A
 * resume compares its settings with the stored ones and refuses a difference unless told to accept it, so a
 * rerun with other settings cannot silently mix two configurations in one run directory.
 */
final class RunConfig {

    private RunConfig() {
    }

    /** What ran the run; written for the record, never compared. */
    static Map<String, Object> provenance(long seed) {
        Map<String, Object> p = new LinkedHashMap<>();
        Properties build = properties("/io/github/rpo4j/rpo4j-version.properties");
        p.put("rpo4j_version", build.getProperty("version"));
        Properties nd4j = properties("/META-INF/maven/org.nd4j/nd4j-api/pom.properties");
        p.put("nd4j_version", nd4j.getProperty("version", build.getProperty("nd4j")));
        p.put("java_version", System.getProperty("java.version"));
        p.put("java_vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        p.put("available_processors", Runtime.getRuntime().availableProcessors());
        p.put("native_threads_property", System.getProperty(NativeThreads.PROPERTY));
        p.put("omp_num_threads", System.getenv("OMP_NUM_THREADS"));
        p.put("seed", seed);
        p.put("command_line", ProcessHandle.current().info().commandLine().orElse(null));
        p.put("main_command", System.getProperty("sun.java.command"));
        return p;
    }

    private static Properties properties(String resource) {
        Properties p = new Properties();
        try (InputStream in = RunConfig.class.getResourceAsStream(resource)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // provenance is a record; a missing version reads as null
        }
        return p;
    }

    /**
     * Checks the settings against the run's config.json, if there is one, and writes the config with this
     * process's provenance.
     *
     * @throws IllegalStateException naming every differing setting, unless {@code acceptChanged}
     */
    static void checkAndWrite(RunDirectory run, Map<String, Object> settings, long seed, boolean acceptChanged,
                              Logger log) throws IOException {
        JsonNode current = RunDirectory.JSON.valueToTree(settings);
        if (Files.exists(run.config())) {
            JsonNode stored = run.readJson(run.config(), JsonNode.class);
            if (!stored.has("settings")) {
                log.warn("{} predates the settings check (no \"settings\" object); it is rewritten with this run's "
                        + "settings", run.config());
            } else {
                List<String> differences = differences(stored.get("settings"), current);
                if (!differences.isEmpty() && !acceptChanged) {
                    throw new IllegalStateException("the run directory " + run.root() + " holds a run with other "
                            + "settings (" + run.config() + "); resuming would mix two configurations. Differing: "
                            + String.join("; ", differences) + ". Use another run directory, or accept the change "
                            + "(acceptChangedSettings(true), --accept-changed-settings)");
                }
                if (!differences.isEmpty()) {
                    log.warn("resuming {} with changed settings, as accepted: {}", run.root(),
                            String.join("; ", differences));
                }
            }
        }
        ObjectNode config = RunDirectory.JSON.createObjectNode();
        config.set("settings", current);
        config.set("provenance", RunDirectory.JSON.valueToTree(provenance(seed)));
        run.writeJson(run.config(), config);
    }

    /** Every leaf that differs, as "path: was X, now Y", in path order. */
    static List<String> differences(JsonNode was, JsonNode now) {
        List<String> out = new ArrayList<>();
        collect("", was, now, out);
        return out;
    }

    private static void collect(String path, JsonNode was, JsonNode now, List<String> out) {
        if (was != null && now != null && was.isObject() && now.isObject()) {
            TreeSet<String> names = new TreeSet<>();
            was.fieldNames().forEachRemaining(names::add);
            now.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                collect(path.isEmpty() ? name : path + "." + name, was.get(name), now.get(name), out);
            }
            return;
        }
        if (!equal(was, now)) {
            out.add(path + ": was " + text(was) + ", now " + text(now));
        }
    }

    private static boolean equal(JsonNode a, JsonNode b) {
        if (a == null || a.isNull()) {
            return b == null || b.isNull();
        }
        if (b == null) {
            return false;
        }
        if (a.isNumber() && b.isNumber()) {
            return a.asDouble() == b.asDouble(); // 1 and 1.0 are the same setting
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            Iterator<JsonNode> i = a.elements();
            Iterator<JsonNode> j = b.elements();
            while (i.hasNext()) {
                if (!equal(i.next(), j.next())) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    private static String text(JsonNode n) {
        return n == null ? "absent" : n.toString();
    }
}
