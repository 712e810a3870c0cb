package io.github.rpo4j.text;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading tokenizer_config.json's chat template: its forms, and the errors for what cannot be used. */
class ChatTemplateTest {

    @TempDir
    Path dir;

    private Path config(String json) throws IOException {
        Path file = dir.resolve(ChatTemplate.CONFIG_FILE);
        Files.writeString(file, json);
        return file;
    }

    private TokenizerFormatException refused(String json) throws IOException {
        Path file = config(json);
        return assertThrows(TokenizerFormatException.class, () -> ChatTemplate.load(dir));
    }

    @Test
    void theTemplateIsAStringOrTheDefaultOfAListAndTheSpecialTokensStringsOrAddedTokens() throws IOException {
        config("""
                {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false}, "eos_token": "</s>",
                 "pad_token": null,
                 "chat_template": [{"name": "rag", "template": "no"},
                                   {"name": "default", "template": "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}"}]}
                """);
        ChatTemplate t = ChatTemplate.load(dir);
        assertEquals(Map.of("bos_token", "<s>", "eos_token", "</s>"), t.specialTokens());
        assertEquals("</s>", t.eosToken().orElseThrow());
        assertEquals("<s>[user]hi</s>[assistant]", t.render(List.of(ChatMessage.user("hi")), true));
        assertEquals("<s>[system]be brief</s>[user]hi</s>",
                t.render(List.of(ChatMessage.system("be brief"), ChatMessage.user("hi")), false));
        assertEquals(dir.resolve(ChatTemplate.CONFIG_FILE) + ": field 'chat_template'", t.source());
    }

    @Test
    void aChatTemplateJinjaBesideTheConfigurationTakesPrecedence() throws IOException {
        config("{\"eos_token\": \"<e>\", \"chat_template\": \"old\"}");
        Files.writeString(dir.resolve(ChatTemplate.TEMPLATE_FILE), "{{ messages[0].content }}{{ eos_token }}\n");
        ChatTemplate t = ChatTemplate.load(dir);
        assertEquals("q<e>", t.render(List.of(ChatMessage.user("q")), true), "one trailing newline dropped, as jinja2");
        assertEquals(dir.resolve(ChatTemplate.TEMPLATE_FILE).toString(), t.source());
        assertEquals("q<e>", ChatTemplate.load(dir.resolve(ChatTemplate.TEMPLATE_FILE))
                .render(List.of(ChatMessage.user("q")), true), "a .jinja file given directly");
    }

    @Test
    void whatCannotBeUsedIsRefusedNamingTheFileAndField() throws IOException {
        Path file = dir.resolve(ChatTemplate.CONFIG_FILE);
        assertThrows(NoSuchFileException.class, () -> ChatTemplate.load(dir));

        TokenizerFormatException missing = refused("{\"eos_token\": \"</s>\"}");
        assertEquals("chat_template", missing.field());
        assertTrue(missing.getMessage().startsWith(file + ": field 'chat_template': missing"), missing.getMessage());

        assertEquals("chat_template", refused("{\"chat_template\": 3}").field());
        assertEquals("chat_template[0]", refused("{\"chat_template\": [\"x\"]}").field());
        assertEquals("chat_template[0].template", refused("{\"chat_template\": [{\"name\": \"default\"}]}").field());
        TokenizerFormatException noDefault = refused("{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"x\"}]}");
        assertTrue(noDefault.getMessage().contains("without one named \"default\" (names: [tool_use])"),
                noDefault.getMessage());
        assertEquals("bos_token", refused("{\"bos_token\": 1, \"chat_template\": \"x\"}").field());
        assertEquals("eos_token.content", refused("{\"eos_token\": {\"lstrip\": false}, \"chat_template\": \"x\"}").field());
        assertEquals("(root)", refused("{\"chat_template\": ").field());

        TokenizerFormatException slice = refused("{\"chat_template\": \"a\\nb\\n{% for m in messages[::2] %}{{ m.content }}{% endfor %}\"}");
        assertTrue(slice.getMessage().startsWith(file + ": field 'chat_template': the Jinja engine cannot render "
                + "this template: line 3: "), slice.getMessage());

        TokenizerFormatException syntax = refused("{\"chat_template\": \"line one\\n{% for m in messages %}{{ m.content }}\"}");
        assertEquals("chat_template", syntax.field());
        assertTrue(syntax.getMessage().startsWith(file + ": field 'chat_template': the Jinja engine cannot render "
                + "this template: line 2: "), syntax.getMessage());
    }

    @Test
    void raiseExceptionStopsRenderingWithTheTemplatesMessageButATemplateThatRefusesALoneUserTurnLoads()
            throws IOException {
        config("{\"chat_template\": \"{% if messages[0].role != 'system' %}{{ raise_exception('a system turn first') }}"
                + "{% endif %}{% for m in messages %}{{ m.content }};{% endfor %}\"}");
        ChatTemplate t = ChatTemplate.load(dir);
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> t.render(List.of(ChatMessage.user("q")), true));
        assertTrue(e.raisedByTemplate());
        assertEquals("a system turn first", e.detail());
        assertTrue(e.getMessage().contains(dir.resolve(ChatTemplate.CONFIG_FILE).toString()), e.getMessage());
        assertEquals("s;q;", t.render(List.of(ChatMessage.system("s"), ChatMessage.user("q")), true));
    }

    @Test
    void anUndefinedVariableRendersAsNothingAndIsFalseAsInJinja2() {
        ChatTemplate t = ChatTemplate.of("{% if tools %}T{% endif %}{{ nothing }}{{ messages[0].missing }}|{{ bos_token }}",
                Map.of(), "test");
        assertEquals("|", t.render(List.of(ChatMessage.user("q")), true));
        assertFalse(t.bosToken().isPresent());
    }

    @Test
    void aTemplateCannotReachJavaClasses() {
        // tokenizer_config.json comes from the internet: transformers renders it in a sandbox, and Jinjava refuses
        // getClass, the way from a string to reflection.
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.of("{{ messages[0].content.getClass().forName('java.lang.Runtime') }}", Map.of(), "t"));
        assertTrue(e.getMessage().contains("getClass"), e.getMessage());
    }
}
