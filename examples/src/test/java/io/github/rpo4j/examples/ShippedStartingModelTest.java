package io.github.rpo4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.iterate.StartingModel;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.ModelDirectory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The M0 shipped in the jar is a loadable model of exactly the shape the from-scratch recipe makes. */
class ShippedStartingModelTest {

    @TempDir
    Path tmp;

    @Test
    void theShippedModelMatchesTheRecipe() throws Exception {
        Path dir = tmp.resolve("m0");
        QuickstartCommand.extractShipped(dir);
        ModelDirectory.Loaded loaded = ModelDirectory.load(dir);
        StartingModel.Made fresh = StartingModel.initialize(new SyntheticArithmeticTask(), StartingModel.Settings.quickstart());
        ModelConfig expected = fresh.model().config();
        assertEquals(expected, loaded.model().config());
        assertEquals(fresh.tokenizer().vocabSize(), loaded.tokenizer().vocabSize());
        String text = "Ann has 23 pens. Ann buys 4 more. How many pens does Ann have? 23+4=27. The answer is 27.";
        assertEquals(fresh.tokenizer().decode(fresh.tokenizer().encode(text)),
                loaded.tokenizer().decode(loaded.tokenizer().encode(text)));
        assertTrue(loaded.model().parameterCount() > 800_000);
    }
}
