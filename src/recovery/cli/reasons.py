"""``recovery reasons list | code``: the reason taxonomy, and coding an open answer into it. No database."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json, print_table
from recovery.core.reasons import LANGUAGES

if TYPE_CHECKING:
    from recovery.core.reasons import Taxonomy

NOTHING_CONFIDENT = "no reason confident enough: the answer waits for a person"


@click.group()
def reasons() -> None:
    """Reasons customers give for leaving or for what we could do better."""


def _taxonomy(runtime: Runtime) -> Taxonomy:
    from recovery.reason_files import load_taxonomy

    return load_taxonomy(runtime.settings.reasons.file)


def _text(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():
        raise click.BadParameter("the answer is blank", ctx=ctx, param=param)
    return value


language_option = click.option(
    "--language", type=click.Choice(LANGUAGES), help="The answer's language (default: detected, else each tried)."
)


@reasons.command("list")
@click.option("--language", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Of labels.")
@json_option
@pass_runtime
def list_(runtime: Runtime, language: str, as_json: bool) -> None:
    """List the reasons: key, label, the recovery step it points to, description."""
    taxonomy = _taxonomy(runtime)
    rows = [
        {
            "key": key,
            "label": taxonomy.label(key, language),
            "step": taxonomy.step(key),
            "description": taxonomy.description(key, language),
        }
        for key in taxonomy.keys
    ]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["key", "label", "step", "description"])


@reasons.command("code")
@click.argument("text", callback=_text)
@language_option
@json_option
@pass_runtime
def code(runtime: Runtime, text: str, language: str | None, as_json: bool) -> None:
    """Code an open answer into reasons, best first; none when nothing is confident enough."""
    from recovery.core.reasons import code_answer, detect_language

    taxonomy = _taxonomy(runtime)
    coded = code_answer(taxonomy, text, language, min_confidence=runtime.settings.reasons.min_confidence)
    if as_json:
        print_json([{"reason": c.reason, "confidence": c.confidence} for c in coded])
        return
    shown = language or detect_language(text) or "en"
    rows = [{"reason": c.reason, "confidence": f"{c.confidence:.2f}", "label": taxonomy.label(c.reason, shown)}
            for c in coded]  # fmt: skip
    print_table(rows, ["reason", "confidence", "label"], empty=NOTHING_CONFIDENT)
