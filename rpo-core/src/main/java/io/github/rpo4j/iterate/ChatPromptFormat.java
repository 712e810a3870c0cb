package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.text.ChatMessage;
import io.github.rpo4j.text.ChatTemplate;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.text.Tokenizers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The prompt of an instruct model: the question as the user's turn (after an optional system turn), rendered by
 * the model's chat template with the generation prompt, so the model answers as the assistant. The completion
 * ends with the template's end of turn: {@code eos_token} of {@code tokenizer_config.json} ({@code <|im_end|>} for
 * Qwen 2.5 Instruct, {@code <|eot_id|>} for Llama 3.1 Instruct), which sampling also stops at. In the
 * self-correction loops (RISE, SCoRe) a later attempt's prompt is the conversation so far in the same template:
 * each attempt the assistant's turn, each feedback the user's ({@link #conversation}).
 *
 * @param template     the model's chat template
 * @param systemPrompt a system turn before the question, or null for none (the template may add its own default)
 */
public record ChatPromptFormat(ChatTemplate template, String systemPrompt) implements PromptFormat {

    public ChatPromptFormat {
        Objects.requireNonNull(template, "template");
    }

    /** The question as the only user turn, no system turn of ours. */
    public ChatPromptFormat(ChatTemplate template) {
        this(template, null);
    }

    @Override
    public String prompt(Question q) {
        return template.render(firstTurns(q), true);
    }

    /**
     * The conversation as chat turns, rendered with the generation prompt: the question as the user's turn, then
     * for each attempt the assistant's turn and {@code feedback} as the user's next turn. The feedback is stripped
     * of surrounding whitespace, which in the text format separates it from the attempt and here is the template's
     * business (Llama 3's and Gemma's templates trim every turn themselves).
     *
     * @throws IllegalArgumentException if the feedback is blank: a user turn without text
     */
    @Override
    public String conversation(Question q, List<String> attempts, String feedback) {
        List<ChatMessage> messages = firstTurns(q);
        if (!attempts.isEmpty()) {
            String turn = feedbackTurn(feedback);
            for (String attempt : attempts) {
                messages.add(ChatMessage.assistant(attempt));
                messages.add(ChatMessage.user(turn));
            }
        }
        return template.render(messages, true);
    }

    /** The user's turn after an attempt: the feedback without its surrounding whitespace, which must leave text. */
    static String feedbackTurn(String feedback) {
        String turn = feedback.strip();
        if (turn.isEmpty()) {
            throw new IllegalArgumentException("the feedback \"" + feedback + "\" is blank: a chat turn needs text");
        }
        return turn;
    }

    /** The system turn, when there is one, and the question as the user's turn. */
    private List<ChatMessage> firstTurns(Question q) {
        List<ChatMessage> messages = new ArrayList<>();
        if (systemPrompt != null) {
            messages.add(ChatMessage.system(systemPrompt));
        }
        messages.add(ChatMessage.user(q.prompt()));
        return messages;
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("chat_template", template.source());
        d.put("chat_template_text", template.text());
        d.put("system_prompt", systemPrompt);
        d.put("end_of_turn", template.eosToken().orElse(null));
        return d;
    }

    @Override
    public Tokenizer completionTokenizer(Tokenizer tokenizer) {
        String end = template.eosToken().orElseThrow(() -> new IllegalArgumentException("chat template "
                + template.source() + ": its configuration names no eos_token, so the end of an assistant turn is "
                + "unknown"));
        Integer id = tokenizer.specialTokens().get(end);
        if (id == null) {
            throw new IllegalArgumentException("chat template " + template.source() + ": eos_token \"" + end
                    + "\" is not a special token of the model's tokenizer");
        }
        return Tokenizers.withEndToken(tokenizer, id);
    }
}
