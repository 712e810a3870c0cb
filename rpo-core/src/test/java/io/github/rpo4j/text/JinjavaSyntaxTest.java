package io.github.rpo4j.text;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The two rewrites of JinjavaSyntax, where they apply and where they must not. */
class JinjavaSyntaxTest {

    @Test
    void aReversingSliceInsideATagBecomesTheReverseFilter() {
        assertEquals("{% for m in (messages|reverse) %}", JinjavaSyntax.adapt("{% for m in messages[::-1] %}"));
        assertEquals("{{ (a.b|reverse) }}", JinjavaSyntax.adapt("{{ a.b[::-1] }}"));
        // Text outside tags, string literals and comments stay as written.
        assertEquals("x[::-1] {{ 'y[::-1]' }} {# z[::-1] #}", JinjavaSyntax.adapt("x[::-1] {{ 'y[::-1]' }} {# z[::-1] #}"));
        assertEquals("{{ m[::2] }}", JinjavaSyntax.adapt("{{ m[::2] }}"), "other extended slices are left to the engine");
    }

    @Test
    void aKeywordArgumentWithAnOperatorGetsItsValueInParentheses() {
        assertEquals("{%- set ns = namespace(a=true, last=(messages|length - 1)) %}",
                JinjavaSyntax.adapt("{%- set ns = namespace(a=true, last=messages|length - 1) %}"));
        assertEquals("{{ f(x=(a + b), y='p=q|r', z=g(w=(1 - 2))) }}",
                JinjavaSyntax.adapt("{{ f(x=a + b, y='p=q|r', z=g(w=1 - 2)) }}"));
        // Comparisons are not keyword arguments; grouping parentheses are not calls; macro definitions stay.
        assertEquals("{{ f(a == b, c <= d) }}{{ (x=1) }}", JinjavaSyntax.adapt("{{ f(a == b, c <= d) }}{{ (x=1) }}"));
        assertEquals("{% macro m(a, b=1 + 2) %}", JinjavaSyntax.adapt("{% macro m(a, b=1 + 2) %}"));
        assertEquals("{{ tools[0] | tojson(indent=2) }}", JinjavaSyntax.adapt("{{ tools[0] | tojson(indent=2) }}"));
    }

    @Test
    void theRewrittenTemplateMeansWhatTheOriginalMeansInJinja2() {
        // jinja2 renders "2|c,b,a": the namespace holds len - 1, the loop runs backwards.
        ChatTemplate t = ChatTemplate.of("{% set ns = namespace(i=messages|length - 1) %}{{ ns.i }}|"
                + "{% for m in messages[::-1] %}{{ m.content }}{% if not loop.last %},{% endif %}{% endfor %}", Map.of(), "t");
        assertEquals("2|c,b,a", t.render(List.of(ChatMessage.user("a"), ChatMessage.assistant("b"), ChatMessage.user("c")),
                false));
    }
}
