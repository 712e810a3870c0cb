package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The chat template of a Hugging Face model: the Jinja {@code chat_template} of {@code tokenizer_config.json} (or
 * of a {@code chat_template.jinja} beside it), rendered the way {@code transformers}' {@code apply_chat_template}
 * renders it, by the Jinjava engine: {@code trim_blocks} and {@code lstrip_blocks} on, a single trailing newline
 * of the template dropped, loop controls ({@code break}, {@code continue}), {@code raise_exception(message)},
 * {@code tojson} as Python's {@code json.dumps(x, ensure_ascii=False)} (with {@code indent}, {@code separators},
 * {@code sort_keys}), the string methods templates call ({@code strip}, {@code lstrip}, {@code rstrip},
 * {@code startswith}, {@code endswith}, {@code split}, {@code upper}, {@code lower}), and the variables
 * {@code messages}, {@code add_generation_prompt} and the special tokens of the configuration ({@code bos_token},
 * {@code eos_token}, {@code unk_token}, {@code pad_token}, as strings).
 *
 * <p>Two constructs Jinjava's parser reads differently from jinja2 are rewritten first ({@link JinjavaSyntax}:
 * {@code x[::-1]}, and keyword arguments with operators, both in Qwen 3's template). What the engine still cannot
 * parse is refused when loading, naming the file, the field and the line: for example other extended slices
 * ({@code messages[::2]}). Rendered text is encoded
 * with {@link Tokenizer#encode(String)}: the special tokens it spells out ({@code <|im_start|>}, a BOS written by
 * the template) become their ids, and nothing else is added, as {@code apply_chat_template(tokenize=True)} does.
 *
 * <p>Immutable and safe to share between threads.
 */
public final class ChatTemplate {

    /** The file of a model directory that holds the template and the special tokens. */
    public static final String CONFIG_FILE = "tokenizer_config.json";
    /** A template saved on its own beside the configuration; it takes precedence, as in {@code transformers}. */
    public static final String TEMPLATE_FILE = "chat_template.jinja";

    private static final List<String> SPECIAL_TOKEN_FIELDS = List.of("bos_token", "eos_token", "unk_token", "pad_token");

    private final String template;
    /** The template as Jinjava is given it (see {@link JinjavaSyntax}). */
    private final String engineTemplate;
    private final Map<String, String> specialTokens;
    private final String source;

    private ChatTemplate(String template, Map<String, String> specialTokens, String source) {
        this.template = template;
        this.engineTemplate = JinjavaSyntax.adapt(template);
        this.specialTokens = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
        this.source = source;
    }

    /**
     * A template given as text, checked by rendering one user turn.
     *
     * @param template      the Jinja source
     * @param specialTokens variables such as {@code bos_token} and {@code eos_token}, name to text
     * @param source        where the template came from, for error messages (a file and field)
     * @throws IllegalArgumentException if the engine cannot render it; the message names {@code source} and the line
     */
    public static ChatTemplate of(String template, Map<String, String> specialTokens, String source) {
        ChatTemplate t = new ChatTemplate(template, specialTokens, source);
        try {
            t.render(List.of(ChatMessage.user("check")), true);
        } catch (ChatTemplateException e) {
            if (!e.raisedByTemplate()) {     // a template may refuse a lone user turn; that is not a syntax error
                throw e;
            }
        }
        return t;
    }

    /**
     * Loads the chat template of a model directory: {@value #TEMPLATE_FILE} if present, else the
     * {@code chat_template} field of {@value #CONFIG_FILE}; the special tokens always come from
     * {@value #CONFIG_FILE}. {@code modelDirOrFile} may also be a {@value #CONFIG_FILE} itself or a {@code .jinja}
     * file (the special tokens then come from the {@value #CONFIG_FILE} beside it, if there is one).
     *
     * @throws NoSuchFileException      if there is no template file
     * @throws TokenizerFormatException if the configuration is not valid JSON, has no usable {@code chat_template},
     *                                  a special token of the wrong type, or a template the engine cannot render;
     *                                  the message names the file and the field
     * @throws IOException              if a file cannot be read
     */
    public static ChatTemplate load(Path modelDirOrFile) throws IOException {
        Path dir;
        Path templateFile = null;
        Path configFile;
        if (Files.isDirectory(modelDirOrFile)) {
            dir = modelDirOrFile;
            configFile = dir.resolve(CONFIG_FILE);
            if (Files.isRegularFile(dir.resolve(TEMPLATE_FILE))) {
                templateFile = dir.resolve(TEMPLATE_FILE);
            }
        } else if (modelDirOrFile.getFileName() != null && modelDirOrFile.getFileName().toString().endsWith(".jinja")) {
            templateFile = modelDirOrFile;
            Path parent = modelDirOrFile.toAbsolutePath().getParent();
            configFile = parent == null ? null : parent.resolve(CONFIG_FILE);
            if (!Files.isRegularFile(templateFile)) {
                throw new NoSuchFileException(templateFile.toString(), null, "no chat template file");
            }
        } else {
            configFile = modelDirOrFile;
        }
        JsonNode config = null;
        if (configFile != null && Files.isRegularFile(configFile)) {
            config = TokenizerJson.read(configFile);
        } else if (templateFile == null) {
            throw new NoSuchFileException(String.valueOf(configFile), null, "no " + CONFIG_FILE + " (the chat template "
                    + "and special tokens of a Hugging Face model) and no " + TEMPLATE_FILE);
        }
        Map<String, String> special = config == null ? Map.of() : specialTokens(configFile, config);
        if (templateFile != null) {
            String text = Files.readString(templateFile, StandardCharsets.UTF_8);
            return checked(text, special, templateFile, templateFile.toString());
        }
        String text = templateText(configFile, config);
        return checked(text, special, configFile, configFile + ": field 'chat_template'");
    }

    private static ChatTemplate checked(String text, Map<String, String> special, Path file, String source)
            throws TokenizerFormatException {
        try {
            return of(text, special, source);
        } catch (ChatTemplateException e) {
            String field = file.toString().endsWith(".jinja") ? "(template)" : "chat_template";
            throw new TokenizerFormatException(file, field, "the Jinja engine cannot render this template: "
                    + e.detail(), e);
        }
    }

    /** The template text: a string, or from a list of {name, template} objects the one named "default". */
    private static String templateText(Path file, JsonNode config) throws TokenizerFormatException {
        JsonNode node = config.get("chat_template");
        if (node == null || node.isNull()) {
            throw new TokenizerFormatException(file, "chat_template", "missing: this model has no chat template (a "
                    + "base model, not an instruct one?); prompt it without --chat-template, or give a template file");
        }
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isArray()) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                JsonNode entry = node.get(i);
                String path = "chat_template[" + i + "]";
                if (!entry.isObject()) {
                    throw new TokenizerFormatException(file, path, "expected an object {\"name\", \"template\"}, got "
                            + entry.getNodeType());
                }
                String name = TokenizerJson.requireText(file, entry, "name", path + ".name");
                String text = TokenizerJson.requireText(file, entry, "template", path + ".template");
                if (name.equals("default")) {
                    return text;
                }
                names.add(name);
            }
            throw new TokenizerFormatException(file, "chat_template", "a list of named templates without one named "
                    + "\"default\" (names: " + names + ")");
        }
        throw new TokenizerFormatException(file, "chat_template", "expected a string or a list of {\"name\", "
                + "\"template\"} objects, got " + node.getNodeType());
    }

    /** bos_token and friends: a string, an AddedToken object ({"content": ...}), or null (left out). */
    private static Map<String, String> specialTokens(Path file, JsonNode config) throws TokenizerFormatException {
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String field : SPECIAL_TOKEN_FIELDS) {
            JsonNode node = config.get(field);
            if (node == null || node.isNull()) {
                continue;
            }
            if (node.isTextual()) {
                tokens.put(field, node.asText());
            } else if (node.isObject()) {
                tokens.put(field, TokenizerJson.requireText(file, node, "content", field + ".content"));
            } else {
                throw new TokenizerFormatException(file, field, "expected a string or an AddedToken object with "
                        + "\"content\", got " + node.getNodeType());
            }
        }
        return tokens;
    }

    /**
     * Renders a conversation.
     *
     * @param messages            the turns, in order
     * @param addGenerationPrompt whether to end with the header of the assistant's next turn
     * @return the text to encode
     * @throws ChatTemplateException if the template fails (its {@code raise_exception}, or an engine error); the
     *                               message names the template's source
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> maps = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            maps.add(m.toMap());
        }
        return render(maps, addGenerationPrompt, Map.of());
    }

    /**
     * Renders a conversation with further variables, as {@code apply_chat_template(..., **kwargs)}: for example
     * {@code tools} (a list of JSON-like maps) or {@code enable_thinking}.
     *
     * @param messages            the turns as maps ({@code role}, {@code content}, and any other field a template reads)
     * @param addGenerationPrompt whether to end with the header of the assistant's next turn
     * @param variables           further template variables; they override the special tokens of the same name
     * @return the text to encode
     * @throws ChatTemplateException if the template fails
     */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
                         Map<String, ?> variables) {
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.putAll(variables);
        context.put("messages", messages);
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = JinjaEngine.INSTANCE.render(engineTemplate, context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException(source, JinjaEngine.describe(error),
                        JinjaEngine.isRaisedByTemplate(error));
            }
        }
        return result.getOutput();
    }

    /** The Jinja source. */
    public String text() {
        return template;
    }

    /** Where the template came from (a file and field). */
    public String source() {
        return source;
    }

    /** The special tokens passed to the template, variable name to text ({@code bos_token} ...). */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    /** {@code eos_token} of the configuration, if set (instruct models set it to their end of turn). */
    public Optional<String> eosToken() {
        return Optional.ofNullable(specialTokens.get("eos_token"));
    }

    /** {@code bos_token} of the configuration, if set. */
    public Optional<String> bosToken() {
        return Optional.ofNullable(specialTokens.get("bos_token"));
    }

    @Override
    public String toString() {
        return "ChatTemplate[" + source + "]";
    }
}
