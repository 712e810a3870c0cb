package io.github.rpo4j.text;

/**
 * A chat template failed to render: it called {@code raise_exception} (for example on roles that do not
 * alternate), or the Jinja engine stopped on an error. The message names the template's source and the line.
 */
public class ChatTemplateException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String detail;
    private final boolean raisedByTemplate;

    ChatTemplateException(String source, String detail, boolean raisedByTemplate) {
        super("chat template " + source + ": " + detail);
        this.detail = detail;
        this.raisedByTemplate = raisedByTemplate;
    }

    /** What went wrong, without the source. */
    public String detail() {
        return detail;
    }

    /** True when the template itself refused the conversation through {@code raise_exception}. */
    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }
}
