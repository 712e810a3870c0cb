package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.rpo4j.FuzzInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random, truncated and mutated tokenizer.json files: each loads or is rejected with a
 * {@link TokenizerFormatException} (an {@link IOException}) that has a message. A tokenizer that loads must
 * also encode and decode without failing in an undocumented way.
 */
class TokenizerJsonFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void loadingMutatedTokenizerFilesFailsOnlyWithDocumentedErrors() throws IOException {
        Path charDir = Files.createDirectories(dir.resolve("char"));
        CharTokenizer.ofAlphabet("0123456789+-=. abc").save(charDir);
        List<byte[]> seeds = List.of(Files.readAllBytes(charDir.resolve(Tokenizer.FILE_NAME)),
                JSON.writeValueAsBytes(BpeTokenizerTest.tokenizerJson(false, false)),
                JSON.writeValueAsBytes(BpeTokenizerTest.tokenizerJson(true, true)));
        FuzzInputs fuzz = new FuzzInputs(7L);
        fuzz.run(FuzzInputs.cases(300), Duration.ofSeconds(60 + FuzzInputs.cases(300) / 20), seeds, (seed, f) -> f.mutatedJson(seed), input -> {
            Path file = dir.resolve("tokenizer.json");
            Files.write(file, input);
            Tokenizer tokenizer = Tokenizers.load(file);
            String text = "hello the 12+3=15 <|endoftext|>";
            int[] ids;
            try {
                ids = tokenizer.encode(text);
            } catch (IllegalArgumentException unknownCharacter) {
                // documented for characters outside a per-character vocabulary
                ids = tokenizer.encode("1");
            }
            tokenizer.decode(ids);
        }, TokenizerFormatException.class, IOException.class);
    }
}
