package io.github.rpo4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.rpo4j.iterate.StartingModel;
import io.github.rpo4j.model.ModelDirectory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartingModelCommandTest {

    @TempDir
    Path tmp;

    @Test
    void cyclesAreParsedAndBadOnesNamed() {
        List<StartingModel.Cycle> cycles = StartingModelCommand.parseCycles(List.of("8:2e-3:100", "4:3e-4:0:250"));
        assertEquals(new StartingModel.Cycle(8, 2e-3, 100, 0), cycles.get(0));
        assertEquals(new StartingModel.Cycle(4, 3e-4, 0, 250), cycles.get(1));
        for (String bad : List.of("8:2e-3", "x:1e-3:0", "8:-1:0")) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> StartingModelCommand.parseCycles(List.of(bad)));
            assertTrue(e.getMessage().contains("--cycle"), e.getMessage());
        }
    }

    @Test
    void aShortContinuationWritesItsCurveAndEachCyclesModel() throws Exception {
        Path m0 = tmp.resolve("m0");
        QuickstartCommand.extractShipped(m0);
        Path out = tmp.resolve("curve");
        StringWriter err = new StringWriter();
        var cli = Rpo4jCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        // Two steps of cycle 2 at a rate too small to matter, evaluated after each step on the validation problems.
        int code = cli.execute("starting-model", "--out", out.toString(), "--model", m0.toString(), "--first-cycle",
                "2", "--cycle", "1:1e-9:0:2", "--eval-every", "1", "--validation", "8");
        assertEquals(0, code, err.toString());
        List<String> lines = Files.readAllLines(out.resolve("curve.jsonl"));
        assertEquals(2, lines.size());
        JsonNode last = Rpo4jCli.JSON.readTree(lines.get(1));
        assertEquals(2, last.path("cycle").asInt());
        assertEquals(2, last.path("step").asInt());
        double acc = last.path("validation_accuracy").asDouble();
        assertTrue(acc >= 0 && acc <= 1);
        assertTrue(ModelDirectory.isComplete(out.resolve("cycle-2")) && ModelDirectory.isComplete(out.resolve("model")));
    }

    @Test
    void aLongerContextIsForAModelFromScratchAndShapesItsPositionTable() throws Exception {
        Path out = tmp.resolve("long");
        StringWriter err = new StringWriter();
        var cli = Rpo4jCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int refused = cli.execute("starting-model", "--out", out.toString(), "--model", tmp.resolve("m0").toString(),
                "--context", "512");
        assertTrue(refused != 0 && err.toString().contains("--context"), err.toString());
        assertTrue(Files.notExists(out));
        // Two-attempt examples do not fit the shipped context of 224 tokens: refused before anything is written.
        int tooShort = cli.execute("starting-model", "--out", out.toString(), "--two-attempt-examples");
        assertTrue(tooShort != 0 && err.toString().contains("--two-attempt-examples must be used with a model whose "
                + "context holds its longest example"), err.toString());
        assertTrue(Files.notExists(out));
        // One step from scratch with a 400-token context, evaluated on 2 validation problems.
        int code = cli.execute("starting-model", "--out", out.toString(), "--context", "400", "--cycle", "1:1e-3:0:1",
                "--eval-every", "1", "--validation", "2");
        assertEquals(0, code, err.toString());
        assertEquals(400, ModelDirectory.load(out.resolve("model")).model().config().contextLength());
    }
}
