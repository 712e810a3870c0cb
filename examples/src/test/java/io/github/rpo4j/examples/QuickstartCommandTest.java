package io.github.rpo4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quickstart's flags are checked before the run directory or M0 is written. */
class QuickstartCommandTest {

    @TempDir
    Path tmp;

    @Test
    void flagsOutOfRangeAreNamedBeforeAnythingIsWritten() {
        Path out = tmp.resolve("bad");
        for (String[] flags : new String[][] {{"--pool", "0"}, {"--pool", "999999"}, {"--samples", "0"},
                {"--pairs", "0"}, {"--warmup", "-1"}, {"--min-lr-ratio", "1.5"}, {"--lr", "2e-4,0"}, {"--nll-weight", "-1"},
                {"--beta", "0"}, {"--pool", "1001"}, {"--eval-split", "train"}, {"--temperature", "-1"}, {"--iterations", "0"}}) {
            StringWriter err = new StringWriter();
            var cli = Rpo4jCli.commandLine();
            cli.setErr(new PrintWriter(err, true));
            int code = cli.execute("quickstart", "--no-progress", "--out", out.toString(), flags[0], flags[1]);
            assertTrue(code != 0, String.join(" ", flags));
            assertTrue(err.toString().contains(flags[0]), err.toString());
            assertTrue(Files.notExists(out), "nothing written for " + String.join(" ", flags));
        }
    }
}
