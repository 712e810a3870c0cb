package io.github.rpo4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Loads {@link Question}s from JSONL files in the formats of common reasoning data sets.
 *
 * <p>All loaders share these rules:
 * <ul>
 *   <li>JSONL rules of {@link JsonlReader}: blank lines skipped, one object per line, an empty file is an
 *       error.</li>
 *   <li>A missing id becomes {@code <file-stem>-<line>}, e.g. {@code train-7} for line 7 of
 *       {@code train.jsonl} (the stem is the file name without its last extension).</li>
 *   <li>Ids must be unique within a file; a repeat is an error naming both lines.</li>
 *   <li>Every content problem is a {@link DataFormatException} naming file, line and field; I/O failures
 *       are {@link IOException}s. Files are only read.</li>
 * </ul>
 */
public final class QuestionLoaders {

    /** The sentence that ends every gold chain in this project's completion format. */
    public static final String ANSWER_STATEMENT_PREFIX = "The answer is ";

    private static final Pattern GSM8K_CALCULATOR_ANNOTATION = Pattern.compile("<<[^<>]*>>");
    private static final Pattern WHITESPACE_RUN = Pattern.compile("\\s+");

    private QuestionLoaders() {
    }

    /** The JSONL layouts the loaders read. */
    public enum Format {
        /** {@code {"prompt", "answer"[, "chain", "id"]}}: {@link #generic(Path)}. */
        GENERIC,
        /** {@code {"question", "answer": "...\n#### 42"[, "id"]}}: {@link #gsm8k(Path)}. */
        GSM8K,
        /** ARC-style multiple choice, {@code "choices"} and {@code "answerKey"}: {@link #multipleChoice(Path)}. */
        CHOICE
    }

    /**
     * The layout of a question file, from the fields of its first record: {@code choices} (at the top level or
     * inside an object {@code question}) means {@link Format#CHOICE}, {@code question} means {@link Format#GSM8K},
     * {@code prompt} means {@link Format#GENERIC}.
     *
     * @throws DataFormatException naming the file, line and the fields found when none of these fits
     */
    public static Format detectFormat(Path file) throws IOException {
        JsonlRecord first;
        try (java.util.stream.Stream<JsonlRecord> records = JsonlReader.stream(file)) {
            first = records.findFirst().orElseThrow(() -> new DataFormatException(file, DataFormatException.WHOLE_FILE,
                    null, "no records", null));
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        JsonNode json = first.json();
        JsonNode question = json.get("question");
        if (json.has("choices") || (question != null && question.isObject())) {
            return Format.CHOICE;
        }
        if (question != null) {
            return Format.GSM8K;
        }
        if (json.has("prompt")) {
            return Format.GENERIC;
        }
        List<String> fields = new ArrayList<>();
        json.fieldNames().forEachRemaining(fields::add);
        throw new DataFormatException(file, first.lineNumber(), null, "cannot tell the question format from the "
                + "fields " + fields + ": expected \"prompt\" (generic), \"question\" with a \"#### N\" answer "
                + "(gsm8k) or \"choices\" (multiple choice)", null);
    }

    /** Loads a question file in the given layout. */
    public static List<Question> load(Path file, Format format) throws IOException {
        return switch (format) {
            case GENERIC -> generic(file);
            case GSM8K -> gsm8k(file);
            case CHOICE -> multipleChoice(file);
        };
    }

    /**
     * GSM8K format: {@code {"question": "...", "answer": "step\nstep\n#### 72"}} with an optional
     * {@code "id"} (string or number).
     *
     * <ul>
     *   <li>The gold answer is the text after the last line that starts with {@code ####}, normalised
     *       by {@link NumericAnswerExtractor#normalizeNumber}; no such line, or a non-numeric value, is an
     *       error for field {@code answer}.</li>
     *   <li>The gold chain is the answer text before that line rewritten into this project's completion
     *       format: each non-blank line stripped, the lines joined with single spaces, calculator
     *       annotations such as {@code <<48/2=24>>} removed, and {@code " The answer is N."} appended.
     *       So {@code "48/2 = <<48/2=24>>24 in May.\n#### 24"} becomes
     *       {@code "48/2 = 24 in May. The answer is 24."}. An empty chain gives just
     *       {@code "The answer is N."}.</li>
     * </ul>
     *
     * The calculator annotations are removed because they are markup for an external calculator, not
     * reasoning a model should learn to write; {@link #gsm8k(Path, boolean)} can keep them.
     */
    public static List<Question> gsm8k(Path file) throws IOException {
        return gsm8k(file, false);
    }

    /** {@link #gsm8k(Path)} with a choice about keeping GSM8K's {@code <<a*b=c>>} calculator annotations. */
    public static List<Question> gsm8k(Path file, boolean keepCalculatorAnnotations) throws IOException {
        return withUniqueIds(file, record -> parseGsm8k(record, keepCalculatorAnnotations));
    }

    private static Question parseGsm8k(JsonlRecord record, boolean keepCalculatorAnnotations) {
        String prompt = requireNonEmpty(record, "question");
        String answerText = record.requireString("answer");
        List<String> lines = answerText.lines().toList();
        int finalLine = -1;
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).strip().startsWith("####")) {
                finalLine = i;
                break;
            }
        }
        if (finalLine < 0) {
            throw record.error("answer", "no final line of the form '#### <number>'");
        }
        String rawAnswer = lines.get(finalLine).strip().substring(4).strip();
        String gold = NumericAnswerExtractor.normalizeNumber(rawAnswer).orElseThrow(() ->
                record.error("answer", "final answer '" + rawAnswer + "' after '####' is not a number"));
        StringBuilder chain = new StringBuilder();
        for (String line : lines.subList(0, finalLine)) {
            String text = keepCalculatorAnnotations ? line : GSM8K_CALCULATOR_ANNOTATION.matcher(line).replaceAll("");
            text = WHITESPACE_RUN.matcher(text.strip()).replaceAll(" ");
            if (!text.isEmpty()) {
                chain.append(text).append(' ');
            }
        }
        chain.append(ANSWER_STATEMENT_PREFIX).append(gold).append('.');
        return new Question(idOf(record, "id"), prompt, gold, chain.toString());
    }

    /**
     * ARC-style multiple choice, in either of two layouts (both may be mixed in one file):
     * <ul>
     *   <li>ARC's own: {@code {"id": "...", "question": {"stem": "...", "choices": [{"label": "A",
     *       "text": "..."}, ...]}, "answerKey": "A"}}</li>
     *   <li>The flat layout of the Hugging Face copy: {@code {"id": "...", "question": "...",
     *       "choices": {"label": ["A", ...], "text": ["...", ...]}, "answerKey": "A"}}</li>
     * </ul>
     * The prompt is the stem followed by one line per choice, {@code "A) text"}, joined by {@code \n}.
     * The gold answer is the answer key, which must be one of the labels. There is no gold chain.
     */
    public static List<Question> multipleChoice(Path file) throws IOException {
        return withUniqueIds(file, QuestionLoaders::parseMultipleChoice);
    }

    private static Question parseMultipleChoice(JsonlRecord record) {
        JsonNode question = record.require("question");
        String stem;
        List<Choice> choices;
        if (question.isObject()) {
            JsonNode stemNode = question.get("stem");
            if (stemNode == null || stemNode.isNull()) {
                throw record.error("question.stem", "missing required field");
            }
            if (!stemNode.isTextual()) {
                throw record.error("question.stem", "expected a string but found " + JsonlRecord.describe(stemNode));
            }
            stem = stemNode.textValue();
            if (record.has("choices")) {
                throw record.error("choices", "choices given both inside 'question' and at the top level");
            }
            choices = parseChoiceObjects(record, question.get("choices"), "question.choices");
        } else if (question.isTextual()) {
            stem = question.textValue();
            choices = parseChoiceColumns(record, record.require("choices"), "choices");
        } else {
            throw record.error("question",
                    "expected a string or an object with 'stem' and 'choices' but found " + JsonlRecord.describe(question));
        }
        if (stem.isBlank()) {
            throw record.error(question.isObject() ? "question.stem" : "question", "must not be blank");
        }
        if (choices.isEmpty()) {
            throw record.error(question.isObject() ? "question.choices" : "choices", "no choices");
        }
        String answerKey = record.requireScalarText("answerKey").strip();
        if (choices.stream().noneMatch(choice -> choice.label().equals(answerKey))) {
            throw record.error("answerKey", "'" + answerKey + "' is not one of the choice labels "
                    + choices.stream().map(Choice::label).toList());
        }
        StringBuilder prompt = new StringBuilder(stem.strip());
        for (Choice choice : choices) {
            prompt.append('\n').append(choice.render());
        }
        return new Question(idOf(record, "id"), prompt.toString(), answerKey, null, choices);
    }

    /** ARC's layout: an array of {label, text} objects. */
    private static List<Choice> parseChoiceObjects(JsonlRecord record, JsonNode node, String field) {
        if (node == null || node.isNull()) {
            throw record.error(field, "missing required field");
        }
        if (!node.isArray()) {
            throw record.error(field, "expected an array of {label, text} objects but found " + JsonlRecord.describe(node));
        }
        List<Choice> choices = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode element = node.get(i);
            String elementField = field + "[" + i + "]";
            if (!element.isObject()) {
                throw record.error(elementField, "expected an object but found " + JsonlRecord.describe(element));
            }
            String label = scalarText(record, element.get("label"), elementField + ".label");
            String text = scalarText(record, element.get("text"), elementField + ".text");
            choices.add(choice(record, label, text, elementField + ".label"));
        }
        return checkDistinctLabels(record, choices, field);
    }

    /** The flat layout: parallel arrays {label: [...], text: [...]}. */
    private static List<Choice> parseChoiceColumns(JsonlRecord record, JsonNode node, String field) {
        if (!node.isObject()) {
            throw record.error(field, "expected an object {label: [...], text: [...]} but found " + JsonlRecord.describe(node));
        }
        JsonNode labels = node.get("label");
        JsonNode texts = node.get("text");
        if (labels == null || !labels.isArray()) {
            throw record.error(field + ".label", "expected an array but found " + JsonlRecord.describe(labels));
        }
        if (texts == null || !texts.isArray()) {
            throw record.error(field + ".text", "expected an array but found " + JsonlRecord.describe(texts));
        }
        if (labels.size() != texts.size()) {
            throw record.error(field, labels.size() + " labels but " + texts.size() + " texts");
        }
        List<Choice> choices = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            String label = scalarText(record, labels.get(i), field + ".label[" + i + "]");
            String text = scalarText(record, texts.get(i), field + ".text[" + i + "]");
            choices.add(choice(record, label, text, field + ".label[" + i + "]"));
        }
        return checkDistinctLabels(record, choices, field);
    }

    private static Choice choice(JsonlRecord record, String label, String text, String labelField) {
        String strippedLabel = label.strip();
        if (strippedLabel.isEmpty()) {
            throw record.error(labelField, "must not be blank");
        }
        return new Choice(strippedLabel, text.strip());
    }

    private static List<Choice> checkDistinctLabels(JsonlRecord record, List<Choice> choices, String field) {
        long distinct = choices.stream().map(Choice::label).distinct().count();
        if (distinct != choices.size()) {
            throw record.error(field, "duplicate choice labels " + choices.stream().map(Choice::label).toList());
        }
        return choices;
    }

    private static String scalarText(JsonlRecord record, JsonNode node, String field) {
        if (node == null || node.isNull()) {
            throw record.error(field, "missing required field");
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isNumber()) {
            return node.asText();
        }
        throw record.error(field, "expected a string but found " + JsonlRecord.describe(node));
    }

    /**
     * Generic JSONL with configurable field names. The prompt must be a non-empty string; the answer may
     * be a string or a number and is taken as written apart from surrounding whitespace (verifiers
     * normalise at comparison time); the chain, when configured and present, must be a string and is kept
     * verbatim; the id may be a string or a number.
     */
    public static List<Question> generic(Path file, GenericJsonlFields fields) throws IOException {
        Objects.requireNonNull(fields, "fields");
        return withUniqueIds(file, record -> {
            String prompt = requireNonEmpty(record, fields.promptField());
            String answer = record.requireScalarText(fields.answerField()).strip();
            if (answer.isEmpty()) {
                throw record.error(fields.answerField(), "must not be blank");
            }
            String chain = fields.chainField() == null ? null : record.optionalString(fields.chainField()).orElse(null);
            return new Question(idOf(record, fields.idField()), prompt, answer, chain);
        });
    }

    /** {@link #generic(Path, GenericJsonlFields)} with {@link GenericJsonlFields#defaults()}. */
    public static List<Question> generic(Path file) throws IOException {
        return generic(file, GenericJsonlFields.defaults());
    }

    /**
     * The id a record gets when it has none: {@code <file-stem>-<line>}, where the stem is the file name
     * without its last extension.
     */
    public static String defaultId(Path file, int lineNumber) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return stem + "-" + lineNumber;
    }

    private static String idOf(JsonlRecord record, String idField) {
        if (idField != null) {
            Optional<String> id = record.optionalScalarText(idField);
            if (id.isPresent()) {
                String stripped = id.get().strip();
                if (stripped.isEmpty()) {
                    throw record.error(idField, "must not be blank");
                }
                return stripped;
            }
        }
        return defaultId(record.file(), record.lineNumber());
    }

    private static String requireNonEmpty(JsonlRecord record, String field) {
        String value = record.requireString(field);
        if (value.isBlank()) {
            throw record.error(field, "must not be blank");
        }
        return value;
    }

    private static List<Question> withUniqueIds(Path file, Function<JsonlRecord, Question> parser) throws IOException {
        Map<String, Integer> lineOfId = new HashMap<>();
        return JsonlReader.readAll(file, record -> {
            Question question = parser.apply(record);
            Integer earlier = lineOfId.putIfAbsent(question.id(), record.lineNumber());
            if (earlier != null) {
                throw record.error("id", "duplicate id '" + question.id() + "' (first used on line " + earlier + ")");
            }
            return question;
        });
    }
}
