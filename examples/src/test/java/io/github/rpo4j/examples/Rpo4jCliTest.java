package io.github.rpo4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.io.SafeTensors;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.text.CharTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

class Rpo4jCliTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CharTokenizer TOKENIZER = CharTokenizer.ofAlphabet(new SyntheticArithmeticTask().alphabet());

    @TempDir
    static Path temp;

    private static Path modelDir;
    private static TransformerLM model;

    /** The result of one in-process run. */
    record Run(int exitCode, String out, String err) {
        List<JsonNode> jsonLines() throws IOException {
            List<JsonNode> lines = new ArrayList<>();
            for (String line : out.strip().split("\n")) {
                lines.add(JSON.readTree(line));
            }
            return lines;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = Rpo4jCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /**
     * A tiny GPT-2 with weights far from the usual 0.02 initialisation, so that its next-token distributions
     * differ clearly between positions and a score read at the wrong position cannot pass.
     */
    @BeforeAll
    static void writeTinyModel() throws IOException {
        ModelConfig config = ModelConfig.gpt2(TOKENIZER.vocabSize(), 64, 2, 16, 2)
                .withEosTokenId(CharTokenizer.END_OF_TEXT_ID);
        Random random = new Random(3);
        Map<String, INDArray> weights = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : TransformerLM.expectedShapes(config).entrySet()) {
            long[] shape = e.getValue();
            float[] values = new float[(int) (shape.length == 1 ? shape[0] : shape[0] * shape[1])];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) ((shape.length == 1 ? 1 : 0) + 0.5 * random.nextGaussian());
            }
            weights.put(e.getKey(), Nd4j.create(values, shape, 'c'));
        }
        model = new TransformerLM(config, weights);
        modelDir = temp.resolve("tiny");
        ModelDirectory.save(modelDir, model, TOKENIZER);
    }

    /** Log-softmax of the model's logits over the whole sequence, with plain ND4J ops: (L, V). */
    private static INDArray logSoftmax(int[] ids) {
        INDArray logits;
        try (Tape.Scope ignored = Tape.noGrad()) {
            logits = model.forward(ids, 1, ids.length).value().castTo(DataType.DOUBLE);
        }
        INDArray max = logits.max(true, 1);
        INDArray shifted = logits.subColumnVector(max);
        INDArray logSumExp = Transforms.log(Transforms.exp(shifted).sum(true, 1));
        INDArray logProbs = shifted.subColumnVector(logSumExp);
        INDArray totals = Transforms.exp(logProbs).sum(1);
        for (int t = 0; t < ids.length; t++) {
            assertEquals(1.0, totals.getDouble(t), 1e-9, "probabilities at position " + t + " sum to one");
        }
        return logProbs;
    }

    @Test
    void scoreGivesEachTokensLogProbabilityGivenThoseBefore() throws IOException {
        String text = "Ann has 23 pens.";
        Run run = run("score", "--model", modelDir.toString(), "--text", text);
        assertEquals(0, run.exitCode(), run.err());
        JsonNode json = run.jsonLines().get(0);
        assertEquals(Set.of("token_ids", "tokens", "logprobs"), fieldNames(json));

        int[] ids = TOKENIZER.encode(text);
        assertEquals(ids.length, json.get("token_ids").size());
        assertEquals(ids.length, json.get("tokens").size());
        assertEquals(ids.length, json.get("logprobs").size());
        INDArray expected = logSoftmax(ids);
        assertTrue(json.get("logprobs").get(0).isNull(), "the first token has no context");
        Set<Double> distinct = new HashSet<>();
        for (int i = 0; i < ids.length; i++) {
            assertEquals(ids[i], json.get("token_ids").get(i).asInt());
            assertEquals(text.substring(i, i + 1), json.get("tokens").get(i).asText());
            if (i > 0) {
                double logProb = json.get("logprobs").get(i).asDouble();
                assertEquals(expected.getDouble(i - 1, ids[i]), logProb, 1e-5, "token " + i);
                distinct.add(Math.rint(logProb * 1e3));
            }
        }
        assertTrue(distinct.size() > ids.length / 2, "the model's distributions vary with position: " + distinct);
    }

    @Test
    void scoreWithAPromptListsOnlyTheTextScoredAfterThePrompt() throws IOException {
        String prompt = "Ann has 2";
        String text = "3 pens.";
        Run run = run("score", "--model", modelDir.toString(), "--prompt", prompt, "--text", text);
        assertEquals(0, run.exitCode(), run.err());
        JsonNode json = run.jsonLines().get(0);

        int[] all = TOKENIZER.encode(prompt + text);
        int[] textIds = TOKENIZER.encode(text);
        INDArray expected = logSoftmax(all);
        assertEquals(textIds.length, json.get("logprobs").size());
        for (int i = 0; i < textIds.length; i++) {
            assertEquals(textIds[i], json.get("token_ids").get(i).asInt());
            int position = prompt.length() + i;
            assertEquals(expected.getDouble(position - 1, all[position]), json.get("logprobs").get(i).asDouble(), 1e-5,
                    "text token " + i);
        }
    }

    @Test
    void scoreNamesTheFlagWhoseTextTheTokenizerCannotEncode() {
        Run run = run("score", "--model", modelDir.toString(), "--text", "Ann has 2 pens!");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("--text") && run.err().contains("'!'"), run.err());
        assertTrue(run.out().isEmpty(), "nothing on standard output: " + run.out());
    }

    @Test
    void sampleIsReproducibleWithASeed() throws IOException {
        String[] args = {"sample", "--model", modelDir.toString(), "--prompt", "Ann has ", "-n", "3",
            "--temperature", "1", "--max-new-tokens", "12", "--seed", "5"};
        Run first = run(args);
        assertEquals(0, first.exitCode(), first.err());
        assertEquals(first.out(), run(args).out());

        List<JsonNode> samples = first.jsonLines();
        assertEquals(3, samples.size());
        for (int i = 0; i < samples.size(); i++) {
            JsonNode sample = samples.get(i);
            assertEquals(Set.of("index", "text", "token_ids", "logprobs", "finish"), fieldNames(sample));
            assertEquals(i, sample.get("index").asInt());
            int[] ids = JSON.convertValue(sample.get("token_ids"), int[].class);
            assertTrue(ids.length >= 1 && ids.length <= 12, "at most --max-new-tokens: " + ids.length);
            assertEquals(ids.length, sample.get("logprobs").size());
            String finish = sample.get("finish").asText();
            assertTrue(Set.of("end_token", "max_tokens").contains(finish), finish);
            int textTokens = finish.equals("end_token") ? ids.length - 1 : ids.length;
            assertEquals(TOKENIZER.decode(ids, 0, textTokens), sample.get("text").asText());
        }
        Set<String> texts = new HashSet<>();
        samples.forEach(s -> texts.add(s.get("token_ids").toString()));
        assertTrue(texts.size() > 1, "samples at temperature 1 differ: " + texts);

        args[args.length - 1] = "6";
        assertNotEquals(first.out(), run(args).out(), "another seed, other samples");
    }

    @Test
    void samplePrintsPlainTextAndStopsAtStopStrings() throws IOException {
        Run json = run("sample", "--model", modelDir.toString(), "--prompt", "Ann has ", "-n", "2",
                "--max-new-tokens", "8", "--seed", "1");
        Run text = run("sample", "--model", modelDir.toString(), "--prompt", "Ann has ", "-n", "2",
                "--max-new-tokens", "8", "--seed", "1", "--text");
        assertEquals(0, text.exitCode(), text.err());
        List<JsonNode> samples = json.jsonLines();
        assertEquals(samples.get(0).get("text").asText() + "\n" + samples.get(1).get("text").asText() + "\n",
                text.out().replace(System.lineSeparator(), "\n"));

        // Greedy decoding of 20 tokens, then again with a stop string taken from inside that continuation.
        JsonNode greedy = run("sample", "--model", modelDir.toString(), "--prompt", "Ann has ", "--temperature", "0",
                "--max-new-tokens", "20").jsonLines().get(0);
        String continuation = greedy.get("text").asText();
        assertTrue(continuation.length() >= 4, "a continuation to cut: " + greedy);
        String stop = continuation.substring(2, 4);
        int cut = continuation.indexOf(stop);
        JsonNode stopped = run("sample", "--model", modelDir.toString(), "--prompt", "Ann has ", "--temperature",
                "0", "--max-new-tokens", "20", "--stop", stop).jsonLines().get(0);
        assertEquals("stop_string", stopped.get("finish").asText());
        assertEquals(continuation.substring(0, cut), stopped.get("text").asText());
    }

    /** A copy of the tiny model directory with config.json edited and, when given, a tensor added. */
    private static Path editedCopy(String name, Consumer<ObjectNode>
            configEdit, String extraTensor) throws IOException {
        Path dir = temp.resolve(name);
        ModelDirectory.save(dir, model, TOKENIZER);
        var config = (ObjectNode) JSON.readTree(dir.resolve(ModelDirectory.CONFIG).toFile());
        configEdit.accept(config);
        Files.writeString(dir.resolve(ModelDirectory.CONFIG), JSON.writeValueAsString(config));
        if (extraTensor != null) {
            Map<String, INDArray> tensors = new LinkedHashMap<>(SafeTensors.read(dir.resolve(ModelDirectory.WEIGHTS)));
            tensors.put(extraTensor, Nd4j.ones(DataType.FLOAT, 3));
            SafeTensors.write(dir.resolve(ModelDirectory.WEIGHTS), tensors, Map.of("format", "pt"));
        }
        return dir;
    }

    @Test
    void unusedTensorsAndUnknownConfigFieldsFailUnlessTheFlagsNameThem() throws IOException {
        Path dir = editedCopy("extras", c -> c.put("logit_scale", 0.5), "h.0.attn.rotary.scale");
        Run strict = run("score", "--model", dir.toString(), "--text", "12");
        assertEquals(1, strict.exitCode());
        assertTrue(strict.err().contains("[logit_scale]") && strict.err().contains("--ignore-config-field"), strict.err());

        Run fieldIgnored = run("score", "--model", dir.toString(), "--text", "12", "--ignore-config-field", "logit_scale");
        assertEquals(1, fieldIgnored.exitCode());
        assertTrue(fieldIgnored.err().contains("[h.0.attn.rotary.scale]") && fieldIgnored.err().contains("--ignore-tensor"),
                fieldIgnored.err());

        Run both = run("score", "--model", dir.toString(), "--text", "12", "--ignore-config-field", "logit_scale",
                "--ignore-tensor", "h.*.attn.rotary.scale");
        assertEquals(0, both.exitCode(), both.err());
        assertEquals(run("score", "--model", modelDir.toString(), "--text", "12").out(), both.out());
    }

    @Test
    void sampleEndsAtEveryEndIdTheConfigsList() throws IOException {
        JsonNode greedy = run("sample", "--model", modelDir.toString(), "--prompt", "Ann has ", "--temperature", "0",
                "--max-new-tokens", "12").jsonLines().get(0);
        int[] ids = JSON.convertValue(greedy.get("token_ids"), int[].class);
        assertTrue(ids.length == 12 && ids[3] != CharTokenizer.END_OF_TEXT_ID, "a long greedy continuation: " + greedy);
        int firstEnd = 0;
        while (ids[firstEnd] != ids[3]) {
            firstEnd++;
        }
        // As Llama 3 Instruct lists several end ids in config.json, and generation_config.json may add more.
        Path listed = editedCopy("eos-list", c -> c.putArray("eos_token_id").add(CharTokenizer.END_OF_TEXT_ID).add(ids[3]), null);
        Path generation = editedCopy("eos-generation", c -> { }, null);
        Files.writeString(generation.resolve(ModelDirectory.GENERATION_CONFIG), "{\"eos_token_id\": [" + ids[3] + "]}");
        for (Path dir : List.of(listed, generation)) {
            JsonNode ended = run("sample", "--model", dir.toString(), "--prompt", "Ann has ", "--temperature", "0",
                    "--max-new-tokens", "12").jsonLines().get(0);
            assertEquals("end_token", ended.get("finish").asText(), dir.toString());
            assertArrayEquals(Arrays.copyOf(ids, firstEnd + 1), JSON.convertValue(ended.get("token_ids"), int[].class));
        }
    }

    @Test
    void sftOnSyntheticProblemsFromScratchWritesALoadableModel() throws IOException {
        Path out = temp.resolve("sft-synthetic");
        Run run = run("sft", "--synthetic", "12", "--synthetic-eval", "4", "--from-scratch", "--layers", "1",
                "--width", "16", "--heads", "2", "--steps", "6", "--batch", "4", "--lr", "1e-2", "--out",
                out.toString(), "--no-progress");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode summary = run.jsonLines().get(0);
        assertEquals(6, summary.get("steps").asInt());
        assertEquals(12, summary.get("train_examples").asInt());
        assertTrue(summary.get("eval_nll_after").asDouble() < summary.get("eval_nll_before").asDouble(),
                "training lowers the held-out NLL: " + summary);

        ModelDirectory.Loaded loaded = ModelDirectory.load(out);
        SyntheticArithmeticTask task = new SyntheticArithmeticTask();
        assertEquals(CharTokenizer.ofAlphabet(task.alphabet()), loaded.tokenizer());
        ModelConfig config = loaded.model().config();
        assertEquals(1, config.layers());
        assertEquals(16, config.width());
        assertEquals(TOKENIZER.vocabSize(), config.vocabSize());
        // The longest possible example plus the default margin for completions longer than the gold chains.
        int longest = task.maxPromptLength() + 1 + task.maxCompletionLength() + 1;
        assertEquals(longest + Math.max(SftCommand.MIN_CONTEXT_MARGIN, longest / 2), config.contextLength());
        assertEquals(CharTokenizer.END_OF_TEXT_ID, config.eosTokenId());
    }

    @Test
    void sftFineTunesAModelDirectoryOnAJsonlFile() throws IOException {
        Path train = temp.resolve("train.jsonl");
        Files.writeString(train, """
                {"prompt": "Ann has 2 pens. Ann buys 3 more.", "answer": "5", "chain": "2+3=5. The answer is 5."}
                {"prompt": "Bob has 9 cards. Bob loses 4.", "answer": "5", "chain": "9-4=5. The answer is 5."}
                """);
        Path out = temp.resolve("sft-file");
        Run run = run("sft", "--train", train.toString(), "--model", modelDir.toString(), "--epochs", "2",
                "--batch", "2", "--out", out.toString(), "--no-progress");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(2, run.jsonLines().get(0).get("steps").asInt());
        ModelDirectory.Loaded loaded = ModelDirectory.load(out);
        assertEquals(TOKENIZER, loaded.tokenizer());
        assertEquals(model.config(), loaded.model().config());
        assertArrayEquals(model.weights().get("wte.weight").shape(), loaded.model().weights().get("wte.weight").shape());
        assertNotEquals(model.weights().get("wte.weight"), loaded.model().weights().get("wte.weight"),
                "the weights were trained");
    }

    @Test
    void iterateRunsTheLoopWithTheScheduleFlagsAndRecordsThem() throws IOException {
        Path questions = temp.resolve("iterate.jsonl");
        Files.writeString(questions, """
                {"prompt": "Ann has 2 pens. Ann buys 3 more.", "answer": "5", "chain": "2+3=5. The answer is 5."}
                {"prompt": "Bob has 9 cards. Bob loses 4.", "answer": "5", "chain": "9-4=5. The answer is 5."}
                """);
        Path out = temp.resolve("iterate-run");
        Run run = run("iterate", "--model", modelDir.toString(), "--questions", questions.toString(), "--format",
                "generic", "--eval-questions", questions.toString(), "--out", out.toString(), "--iterations", "1", "-n", "2", "-k", "2", "--gold-chain",
                "--lr", "1e-3", "--warmup", "1", "--min-lr-ratio", "0.5", "--batch", "1", "--micro-batch", "1",
                "--max-new-tokens", "6", "--maj-k", "0", "--no-progress");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode training = JSON.readTree(out.resolve("config.json").toFile()).get("settings").get("training");
        assertEquals(1, training.get("warmupSteps").asInt());
        assertEquals(0.5, training.get("minLrRatio").asDouble(), 0.0);
        // A rerun with another setting is refused, naming it, unless the change is accepted.
        String[] changed = {"iterate", "--model", modelDir.toString(), "--questions", questions.toString(), "--format",
                "generic", "--eval-questions", questions.toString(), "--out", out.toString(), "--iterations", "1", "-n",
                "2", "-k", "2", "--gold-chain", "--lr", "1e-3", "--warmup", "1", "--min-lr-ratio", "0.5", "--batch", "1",
                "--micro-batch", "1", "--max-new-tokens", "6", "--maj-k", "0", "--no-progress", "--beta", "0.2"};
        Run refused = run(changed);
        assertTrue(refused.exitCode() != 0 && refused.err().contains("beta: was 0.1, now 0.2"), refused.err());
        String[] accepted = java.util.Arrays.copyOf(changed, changed.length + 1);
        accepted[changed.length] = "--accept-changed-settings";
        Run resumed = run(accepted);
        assertEquals(0, resumed.exitCode(), resumed.err());
        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(2, metrics.size(), "M0 and iteration 1");
        JsonNode first = JSON.readTree(metrics.get(1));
        assertEquals(1, first.get("iteration").asInt());
        assertTrue(first.get("train_pairs").asInt() >= 2, "at least two steps: " + first);
        // Warm-up step 1 of 1 reaches the peak; the cosine then ends the last step at half of it.
        assertTrue(first.get("lr").asDouble() < 1e-3 && first.get("lr").asDouble() >= 0.5e-3 - 1e-12,
                "mean rate between the floor and the peak: " + first.get("lr"));
        assertEquals(1e-3, first.get("lr_peak").asDouble(), 1e-12, "the peak is recorded beside the mean");
        // The table on standard output: M0 first, and no majority-vote figure when the vote is off.
        List<String> rows = run.out().lines().filter(l -> l.matches("\\d+ +.*")).toList();
        assertEquals(2, rows.size(), run.out());
        assertTrue(rows.get(0).startsWith("0 ") && rows.get(1).startsWith("1 "), run.out());
        assertTrue(rows.get(0).split(" +")[4].equals("-"), "maj@k column of M0: " + rows.get(0));
    }

    @Test
    void everyCommandDetectsTheQuestionFormatAndAWrongExplicitFormatGetsAHint() throws IOException {
        Path generic = temp.resolve("own-task.jsonl");
        Files.writeString(generic, """
                {"id": "a", "prompt": "Ann has 2 pens. Ann buys 3 more.", "answer": "5", "chain": "2+3=5. The answer is 5."}
                {"id": "b", "prompt": "Bob has 9 cards. Bob loses 4.", "answer": "5", "chain": "9-4=5. The answer is 5."}
                """);
        Run eval = run("eval", "--model", modelDir.toString(), "--questions", generic.toString(), "-k", "0",
                "--max-new-tokens", "4");
        assertEquals(0, eval.exitCode(), eval.err());
        assertEquals(2, eval.jsonLines().get(0).get("questions").asInt());

        Run wrong = run("eval", "--model", modelDir.toString(), "--questions", generic.toString(), "--format", "gsm8k",
                "-k", "0");
        assertEquals(1, wrong.exitCode());
        assertTrue(wrong.err().contains(generic + ":1: field 'question'")
                && wrong.err().contains("the file looks like --format generic"), wrong.err());
    }

    @Test
    void aFreeAnswerQuestionWithANonNumericGoldAnswerIsLoadedWithAWarning() throws IOException {
        Path words = temp.resolve("words.jsonl");
        Files.writeString(words, """
                {"id": "w1", "prompt": "Ann has 2 pens. Ann buys 3 more.", "answer": "five"}
                {"id": "w2", "prompt": "Bob has 9 cards. Bob loses 4.", "answer": "5"}
                """);
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        Run eval;
        try {
            eval = run("eval", "--model", modelDir.toString(), "--questions", words.toString(), "-k", "0",
                    "--max-new-tokens", "2");
        } finally {
            System.setErr(saved);
        }
        assertEquals(0, eval.exitCode(), eval.err());
        String log = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(log.contains("--questions " + words + ": 1 question(s) have a gold answer that is not a number "
                + "(first: question w1 with answer \"five\")"), log);
    }

    @Test
    void iterateNeedsEvaluationQuestionsAndNamesTheFileAndQuestionOfAPromptItCannotEncode() throws IOException {
        Path train = temp.resolve("iterate-train.jsonl");
        Files.writeString(train, """
                {"id": "t1", "prompt": "Ann has 2 pens. Ann buys 3 more.", "answer": "5"}
                """);
        Path eval = temp.resolve("iterate-eval.jsonl");
        Files.writeString(eval, """
                {"id": "e1", "prompt": "What is 7 times 8 plus 2?", "answer": "58"}
                """);
        Run missing = run("iterate", "--model", modelDir.toString(), "--questions", train.toString(), "--out",
                temp.resolve("never").toString());
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("--eval-questions"), missing.err());

        Run unencodable = run("iterate", "--model", modelDir.toString(), "--questions", train.toString(),
                "--eval-questions", eval.toString(), "--out", temp.resolve("never").toString(), "--no-progress");
        assertEquals(1, unencodable.exitCode());
        assertTrue(unencodable.err().contains("--eval-questions " + eval + ": question \"e1\": its prompt cannot be "
                + "encoded") && unencodable.err().contains("character 'W'"), unencodable.err());

        Path aFile = Files.writeString(temp.resolve("afile.txt"), "notes");
        Run onAFile = run("iterate", "--model", modelDir.toString(), "--questions", train.toString(),
                "--eval-questions", train.toString(), "--out", aFile.toString(), "--no-progress");
        assertEquals(1, onAFile.exitCode());
        assertTrue(onAFile.err().contains(aFile + " exists and is a file, not a directory"), onAFile.err());
        assertEquals("notes", Files.readString(aFile));
    }

    @Test
    void sftFromScratchLeavesRoomForCompletionsLongerThanTheLongestExample() throws IOException {
        Path train = temp.resolve("scratch-train.jsonl");
        Files.writeString(train, """
                {"prompt": "What is 7 times 8 plus 2?", "answer": "58", "chain": "7*8=56. 56+2=58. The answer is 58."}
                """);
        Path out = temp.resolve("sft-scratch-file");
        Run run = run("sft", "--train", train.toString(), "--from-scratch", "--layers", "1", "--width", "16",
                "--heads", "2", "--steps", "1", "--out", out.toString(), "--no-progress");
        assertEquals(0, run.exitCode(), run.err());
        int longest = "What is 7 times 8 plus 2? ".length() + "7*8=56. 56+2=58. The answer is 58.".length() + 1;
        assertEquals(longest + 32, ModelDirectory.load(out).model().config().contextLength());

        Path margin = temp.resolve("sft-scratch-margin");
        run = run("sft", "--train", train.toString(), "--from-scratch", "--layers", "1", "--width", "16",
                "--heads", "2", "--steps", "1", "--context-margin", "100", "--out", margin.toString(), "--no-progress");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(longest + 100, ModelDirectory.load(margin).model().config().contextLength());
    }

    @Test
    void sftRejectsContradictoryFlagsBeforeTraining() throws IOException {
        Path out = temp.resolve("never-written");
        Run neither = run("sft", "--from-scratch", "--out", out.toString());
        assertEquals(2, neither.exitCode());
        assertTrue(neither.err().contains("--train FILE or --synthetic N"), neither.err());

        Run loadOnlyFamily = run("sft", "--synthetic", "2", "--from-scratch", "--family", "qwen2", "--out", out.toString());
        assertEquals(2, loadOnlyFamily.exitCode());
        assertTrue(loadOnlyFamily.err().contains("--family: from scratch, gpt2 or llama; got qwen2"), loadOnlyFamily.err());

        Run scratchFlagWithModel = run("sft", "--synthetic", "2", "--model", modelDir.toString(), "--layers", "3",
                "--out", out.toString());
        assertEquals(2, scratchFlagWithModel.exitCode());
        assertTrue(scratchFlagWithModel.err().contains("--layers only applies with --from-scratch"),
                scratchFlagWithModel.err());

        Path notAModel = Files.createDirectories(temp.resolve("notes"));
        Files.writeString(notAModel.resolve("keep.txt"), "mine");
        Run refused = run("sft", "--synthetic", "2", "--from-scratch", "--out", notAModel.toString());
        assertEquals(2, refused.exitCode());
        assertTrue(refused.err().contains("is not a model directory"), refused.err());
        assertTrue(Files.exists(notAModel.resolve("keep.txt")));
        assertTrue(Files.notExists(out));
    }

    @Test
    void topLevelHelpListsTheSubcommandsAndVersionIsPrinted() {
        Run help = run("--help");
        assertEquals(0, help.exitCode());
        for (String name : List.of("score", "sample", "sft")) {
            assertTrue(help.out().contains(name), help.out());
        }
        Run version = run("--version");
        assertEquals(0, version.exitCode());
        assertTrue(version.out().startsWith("rpo4j "), version.out());
        assertEquals(2, run().exitCode(), "a subcommand is required");
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
