package io.github.rpo4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.iterate.QuickstartRecipe;
import io.github.rpo4j.iterate.StartingModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
                {"--beta", "0"}, {"--pool", "4001"}, {"--eval-split", "train"}, {"--temperature", "-1"}, {"--iterations", "0"},
                {"--majority-k", "-1"}, {"--epochs", "0"}, {"--pool-from", "-1"}, {"--pool-from", "5000"}, {"--start-range", "5"},
                {"--start-range", "50:10"}, {"--start-range", "a:b"}, {"--sampling-threads", "0"}}) {
            StringWriter err = new StringWriter();
            var cli = Rpo4jCli.commandLine();
            cli.setErr(new PrintWriter(err, true));
            int code = cli.execute("quickstart", "--no-progress", "--out", out.toString(), flags[0], flags[1]);
            assertTrue(code != 0, String.join(" ", flags));
            assertTrue(err.toString().contains(flags[0]), err.toString());
            assertTrue(Files.notExists(out), "nothing written for " + String.join(" ", flags));
        }
        // A pool that starts later has fewer problems before the validation problems.
        StringWriter err = new StringWriter();
        var cli = Rpo4jCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        assertTrue(cli.execute("quickstart", "--out", out.toString(), "--pool-from", "4800", "--pool", "201") != 0);
        assertTrue(err.toString().contains("--pool must be in [1, 200]"), err.toString());
        assertTrue(cli.execute("quickstart", "--out", out.toString(), "--model", "m0", "--from-scratch") != 0);
        assertTrue(err.toString().contains("--model and --from-scratch exclude each other"), err.toString());
        assertTrue(Files.notExists(out));
    }

    @Test
    void aPoolFromAnyStartEndsBeforeTheValidationProblems() {
        SyntheticArithmeticTask.Split split = StartingModel.quickstartSplit(new SyntheticArithmeticTask());
        List<Question> pool = QuickstartRecipe.pool(split, 1000, 4000);
        assertEquals(split.train().get(1000), pool.get(0));
        assertEquals(split.train().get(StartingModel.QUICKSTART_VALIDATION_FROM - 1), pool.get(3999));
        assertEquals(QuickstartRecipe.pool(split, 1000), QuickstartRecipe.pool(split, StartingModel.QUICKSTART_POOL_FROM,
                1000));
        assertThrows(IllegalArgumentException.class, () -> QuickstartRecipe.pool(split, 1000, 4001));
        assertThrows(IllegalArgumentException.class, () -> QuickstartRecipe.pool(split, -1, 10));
    }
}
