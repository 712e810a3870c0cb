package io.github.rpo4j.examples;

import io.github.rpo4j.iterate.ChatPromptFormat;
import io.github.rpo4j.text.ChatTemplate;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code --chat-template [FILE]} and {@code --system-prompt TEXT}: prompting an instruct model; shared by iterate, eval
 * and ablate.
 */
final class ChatTemplateOptions {

    @Option(names = "--chat-template", arity = "0..1", fallbackValue = "", paramLabel = "FILE", description = "Prompt "
            + "as an instruct model expects: each question is the user's turn, rendered by the chat template with the "
            + "generation prompt, and completions end with the template's end of turn (eos_token). Without FILE the "
            + "template is the --model directory's (chat_template.jinja, else tokenizer_config.json); FILE names "
            + "another tokenizer_config.json or .jinja file. Default: the question, a space, the completion.")
    String chatTemplate;

    @Option(names = "--system-prompt", paramLabel = "TEXT", description = "With --chat-template: a system turn "
            + "before each question (default: none; some templates add their own).")
    String systemPrompt;

    /**
     * The chat prompt format, or null without {@code --chat-template}.
     *
     * @throws ParameterException if {@code --system-prompt} is given without {@code --chat-template}
     * @throws IOException        if the template cannot be read or used; the message names the file and field
     */
    ChatPromptFormat format(Path modelDir, CommandLine commandLine) throws IOException {
        if (chatTemplate == null) {
            if (systemPrompt != null) {
                throw new ParameterException(commandLine, "--system-prompt needs --chat-template");
            }
            return null;
        }
        Path source = chatTemplate.isEmpty() ? modelDir : Path.of(chatTemplate);
        return new ChatPromptFormat(ChatTemplate.load(source), systemPrompt);
    }

    /** Whether {@code --chat-template} was given. */
    boolean given() {
        return chatTemplate != null;
    }

    /**
     * These options as arguments of a command line, for a child process that must prompt the same way; the
     * {@code --flag=value} form keeps a value that starts with '-' a value.
     */
    List<String> arguments() {
        List<String> args = new ArrayList<>();
        if (chatTemplate != null) {
            args.add(chatTemplate.isEmpty() ? "--chat-template" : "--chat-template=" + chatTemplate);
        }
        if (systemPrompt != null) {
            args.add("--system-prompt=" + systemPrompt);
        }
        return args;
    }
}
