#!/usr/bin/env python3
"""Renders Jinja2 chat-template snippets the way transformers' apply_chat_template does.

The environment is the one transformers builds (transformers/utils/chat_template_utils.py,
_compile_jinja_template): ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
extensions=[the {% generation %} tag, loopcontrols]), its tojson filter (ensure_ascii=False),
raise_exception and strftime_now. Used as a reference by granular's template tests.

Input (stdin): a JSON list of {"template": str, "vars": {...}}.
Output (stdout): a JSON list, one per input: {"ok": true, "out": str} or
{"ok": false, "error": "ExceptionType: message"}. Exit code 0 unless the input is malformed.
"""
import json
import os
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.exceptions import TemplateError
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    # GRANULAR_JINJA2_NOW (ISO local time) pins the clock, as granular's parity test pins its own
    pinned = os.environ.get("GRANULAR_JINJA2_NOW")
    return (datetime.fromisoformat(pinned) if pinned else datetime.now()).strftime(format)


class AssistantTracker(Extension):
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--version":
        print(jinja2.__version__)
        return
    cases = json.load(sys.stdin)
    env = environment()
    results = []
    compiled = {}  # many cases share a template (scripts/template-parity): compile each text once
    for case in cases:
        try:
            text = case["template"]
            if text not in compiled:
                try:
                    compiled[text] = env.from_string(text)
                except Exception as e:
                    compiled[text] = e
            template = compiled[text]
            if isinstance(template, Exception):
                raise template
            out = template.render(**case.get("vars", {}))
            results.append({"ok": True, "out": out})
        except RecursionError as e:
            results.append({"ok": False, "error": "RecursionError: " + str(e)})
        except Exception as e:  # any failure is a refusal; the test compares only ok/failed and the text
            results.append({"ok": False, "error": type(e).__name__ + ": " + str(e)})
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
