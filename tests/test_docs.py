"""The documentation kept honest: commands, settings, the layout and links in README.md and docs/*.md.

Each case is named for the doc line it comes from (``README.md:31: recovery complaint fire …``), so a
failure says which line to fix.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from recovery.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "recovery"
CONFIG = ROOT / "config" / "recovery.toml"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# `recovery …`, also written as `$ recovery …`, `.venv/bin/recovery …` or `NAME=value recovery …`.
COMMAND = re.compile(r"^(?:\$ )?(?:[A-Z][A-Z0-9_]*=\S+ )*(?:\.venv/bin/)?recovery (.*)$")
CODE_SPAN = re.compile(r"`([^`]+)`")
# A TOML table header or key, also when commented out: `[webhook]`, `# [[webhook.sources]]`, `# name = "x"`.
TOML_HEADER = re.compile(r"^#?\s*\[\[?\s*([A-Za-z_][\w.-]*)\s*\]\]?\s*(?:#.*)?$")
TOML_KEY = re.compile(r"^#?\s*([A-Za-z_][\w-]*)\s*=")
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
LINK_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s*<?([^\s>]+)", re.MULTILINE)
PARENT_PATH = re.compile(r"(?<![\w./-])(?:\.\./)+[\w.-][\w./-]*")
URL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


@dataclass(frozen=True)
class Fence:
    """A fenced code block: its info string (``toml``, ``sh``…), first content line number and lines."""

    info: str
    start: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Doc:
    """One Markdown file, with its fenced blocks and its prose (fenced lines blanked, numbering kept)."""

    name: str
    path: Path
    text: str
    fences: tuple[Fence, ...]
    prose: str


@dataclass(frozen=True)
class Shown:
    """A piece of a doc worth checking, and the line it is on."""

    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}: {self.text}"


def read_doc(path: Path) -> Doc:
    """Split a Markdown file into fenced blocks and prose."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fences: list[Fence] = []
    prose = list(lines)
    opened: tuple[int, str] | None = None
    for index, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            if opened is None:
                opened = (index, line.lstrip().removeprefix("```").strip())
            else:
                fences.append(Fence(opened[1], opened[0] + 2, tuple(lines[opened[0] + 1 : index])))
                opened = None
            prose[index] = ""
        elif opened is not None:
            prose[index] = ""
    return Doc(path.relative_to(ROOT).as_posix(), path, "\n".join(lines), tuple(fences), "\n".join(prose))


ALL_DOCS = [read_doc(path) for path in DOCS]


def line_of(text: str, offset: int) -> int:
    """The 1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1


def code_pieces(doc: Doc) -> list[Shown]:
    """Every line of a fenced block and every inline code span, in line order (whitespace collapsed: spans wrap)."""
    pieces = [(number, line) for fence in doc.fences for number, line in enumerate(fence.lines, fence.start)] + [
        (line_of(doc.prose, match.start()), match[1]) for match in CODE_SPAN.finditer(doc.prose)
    ]
    return [Shown(f"{doc.name}:{number}", " ".join(text.split())) for number, text in sorted(pieces)]


def shown_commands() -> list[Shown]:
    """Every ``recovery …`` command the docs show, without its prefix (``$ ``, ``.venv/bin/``)."""
    return [
        Shown(piece.where, f"recovery {match[1]}")
        for doc in ALL_DOCS
        for piece in code_pieces(doc)
        if (match := COMMAND.match(piece.text))
    ]


def alternatives(text: str) -> list[list[str]]:
    """The words of a shown command, one list per `` | `` alternative, without `[ ]`, `recovery` or comments."""
    words = [word.strip("[]") for word in shlex.split(text, comments=True)]
    segments: list[list[str]] = [[]]
    for word in words[1:]:
        if word == "|":
            segments.append([])
        elif word:
            segments[-1].append(word)
    return segments


@dataclass(frozen=True)
class Invocation:
    """A shown command followed down the Click tree: the subcommand names, their contexts and the options."""

    path: tuple[str, ...]
    contexts: tuple[click.Context, ...]
    options: tuple[str, ...]

    @property
    def name(self) -> str:
        return " ".join(("recovery", *self.path))

    def known_options(self) -> set[str]:
        """Options of the command and of every group above it (--database-url, --config, --help…)."""
        return {
            name
            for ctx in self.contexts
            for param in ctx.command.get_params(ctx)
            if isinstance(param, click.Option)
            for name in (*param.opts, *param.secondary_opts)
        }


def find_option(contexts: Sequence[click.Context], name: str) -> click.Option | None:
    """The option called ``name`` on one of the commands so far, if any."""
    for ctx in contexts:
        for param in ctx.command.get_params(ctx):
            if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
                return param
    return None


def follow(words: Sequence[str]) -> Invocation:
    """Walk the words down the command tree; raise LookupError naming a subcommand that does not exist.

    While the command reached is a group, a word is a subcommand name (resolved lazily with
    ``get_command``, as ``recovery.cli.main.LazyGroup`` does); after that, words are arguments
    (``1``, ``ID``, ``standard``, ``…``) and are not checked. The value of a known option is skipped.
    """
    contexts = [click.Context(cli, info_name="recovery")]
    path: list[str] = []
    options: list[str] = []
    skip_value = False
    for word in words:
        group = contexts[-1].command
        if skip_value:
            skip_value = False
        elif word.startswith("-") and len(word) > 1:
            name = word.split("=", 1)[0]
            options.append(name)
            option = find_option(contexts, name)
            skip_value = option is not None and not (option.is_flag or option.count) and "=" not in word
        elif isinstance(group, click.Group):
            command = group.get_command(contexts[-1], word)
            if command is None:
                known = ", ".join(group.list_commands(contexts[-1]))
                raise LookupError(f"{word!r} is not a command of `{' '.join(['recovery', *path])}`; known: {known}")
            contexts.append(click.Context(command, parent=contexts[-1], info_name=word))
            path.append(word)
    return Invocation(tuple(path), tuple(contexts), tuple(options))


def invocations(shown: Shown) -> list[Invocation]:
    """One invocation per alternative; ``list | show ID | retry ID`` are siblings of the first command."""
    first, *siblings = alternatives(shown.text)
    head = follow(first)
    return [head, *(follow([*head.path[:-1], *words]) for words in siblings)]


SHOWN_COMMANDS = shown_commands()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("recovery sla scan [--dry-run]  # by hand", [["sla", "scan", "--dry-run"]], id="brackets+comment"),
        pytest.param("recovery inbox list --failed | show ID", [["inbox", "list", "--failed"], ["show", "ID"]], id="|"),
        pytest.param(
            "recovery flag list [--status open|rejected]", [["flag", "list", "--status", "open|rejected"]], id="a|b"
        ),
        pytest.param(
            'recovery customer add jo --name "Jo C"', [["customer", "add", "jo", "--name", "Jo C"]], id="quotes"
        ),
    ],
)
def test_a_shown_command_is_read_as_its_alternatives(text: str, expected: list[list[str]]) -> None:
    assert alternatives(text) == expected


@pytest.mark.parametrize(
    ("line", "command"),
    [
        pytest.param("$ recovery status", "status", id="$"),
        pytest.param(".venv/bin/recovery init", "init", id=".venv/bin"),
        pytest.param("RECOVERY_DATABASE_URL=sqlite:///x.db recovery init", "init", id="VAR=value"),
    ],
)
def test_a_command_is_recognised_behind_its_prefix(line: str, command: str) -> None:
    match = COMMAND.match(line)
    assert match is not None, line
    assert match[1] == command


def test_the_docs_show_commands() -> None:
    assert len(SHOWN_COMMANDS) > 10, [str(shown) for shown in SHOWN_COMMANDS]


@pytest.mark.parametrize("shown", SHOWN_COMMANDS, ids=str)
def test_a_shown_command_exists(shown: Shown) -> None:
    try:
        invocations(shown)
    except LookupError as exc:
        pytest.fail(f"{shown}: {exc}")


@pytest.mark.parametrize("shown", SHOWN_COMMANDS, ids=str)
def test_a_shown_option_exists_on_its_command(shown: Shown) -> None:
    for invocation in invocations(shown):
        known = invocation.known_options()
        unknown = [option for option in invocation.options if option not in known]
        assert not unknown, f"{shown}: {unknown} not options of `{invocation.name}`; known: {sorted(known)}"


def toml_keys(lines: Sequence[str], first_line: int = 1) -> dict[str, int]:
    """``section.key`` → line number, for every key under a table header, commented-out ones included."""
    keys: dict[str, int] = {}
    section: str | None = None
    for number, line in enumerate(lines, first_line):
        if header := TOML_HEADER.match(line.strip()):
            section = header[1]
        elif section is not None and (key := TOML_KEY.match(line.strip())):
            keys.setdefault(f"{section}.{key[1]}", number)
    return keys


def config_keys() -> list[Shown]:
    """Every key of config/recovery.toml, active or written as a ``# key = value`` example."""
    keys = toml_keys(CONFIG.read_text(encoding="utf-8").splitlines())
    return [Shown(f"config/recovery.toml:{number}", key) for key, number in keys.items()]


TOML_BLOCK_KEYS = {
    key for doc in ALL_DOCS for fence in doc.fences if fence.info == "toml" for key in toml_keys(fence.lines)
}


def documented(key: str) -> bool:
    """Whether the docs name ``key`` (``section.key``), either way the docstring below says."""
    dotted = re.compile(rf"(?<![\w.-]){re.escape(key)}(?![\w-])")
    return key in TOML_BLOCK_KEYS or any(dotted.search(doc.text) for doc in ALL_DOCS)


def test_the_config_has_keys() -> None:
    assert {"database.url", "webhook.reorder_window", "webhook.sources.secret_env"} <= {s.text for s in config_keys()}


@pytest.mark.parametrize("key", config_keys(), ids=str)
def test_a_config_key_is_documented(key: Shown) -> None:
    """Documented means: README.md or a docs/*.md file writes the whole dotted name ``section.key``
    (``daemon.tick``, ``webhook.sources.kind``; not part of a longer name), or shows the key under its
    ``[section]`` / ``[[section]]`` header in a fenced block marked ``toml``. The keys are those of the
    config file, the commented-out ``# key = value`` examples under a (commented) header included."""
    assert documented(key.text), f"{key}: not in README.md or docs/*.md as `{key.text}` nor in a ```toml block"


def package_modules() -> list[str]:
    """The packages (``core/``) and top-level modules (``daemon.py``) directly under src/recovery."""
    packages = [f"{path.name}/" for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()]
    modules = [path.name for path in PACKAGE.glob("*.py") if path.name not in {"__init__.py", "__main__.py"}]
    return sorted(packages + modules)


def readme_layout() -> Fence:
    """The fenced block starting with ``src/recovery/`` in README's section "How it is built"."""
    doc = read_doc(ROOT / "README.md")
    lines = doc.text.splitlines()
    start = next((n for n, line in enumerate(lines, 1) if line.strip() == "## How it is built"), len(lines) + 1)
    end = next((n for n, line in enumerate(lines, 1) if n > start and line.startswith("## ")), len(lines) + 1)
    for fence in doc.fences:
        if start < fence.start < end and fence.lines and fence.lines[0].strip().startswith("src/recovery/"):
            return fence
    pytest.fail("README.md: no ``` block starting with src/recovery/ in the section 'How it is built'")


@pytest.mark.parametrize("module", package_modules())
def test_the_readme_layout_names_every_module(module: str) -> None:
    layout = readme_layout()
    named = {line.split()[0] for line in layout.lines if line.strip()}
    assert module in named, f"README.md:{layout.start}: the layout block does not name src/recovery/{module}"


def references() -> Iterator[tuple[Doc, Shown]]:
    """Every Markdown link target and every ``../`` path written in the docs, with the doc it is in."""
    for doc in ALL_DOCS:
        found = {(line_of(doc.prose, m.start()), m[1]) for m in LINK.finditer(doc.prose)}
        found |= {(line_of(doc.prose, m.start()), m[1]) for m in LINK_DEFINITION.finditer(doc.prose)}
        found |= {(line_of(doc.text, m.start()), m[0].rstrip(".")) for m in PARENT_PATH.finditer(doc.text)}
        for number, target in sorted(found):
            if not URL.match(target):
                yield doc, Shown(f"{doc.name}:{number}", target)


REFERENCES = list(references())


def target_path(doc: Doc, target: str) -> Path:
    """Where a relative link or path leads, without its #fragment or ?query."""
    bare = re.split(r"[#?]", target, maxsplit=1)[0]
    return (doc.path.parent / bare).resolve() if bare else doc.path


@pytest.mark.parametrize(("doc", "reference"), REFERENCES, ids=[str(ref) for _, ref in REFERENCES])
def test_a_reference_stays_inside_the_repository(doc: Doc, reference: Shown) -> None:
    path = target_path(doc, reference.text)
    assert not reference.text.startswith("/"), f"{reference}: an absolute path; link within the repository"
    assert path.is_relative_to(ROOT), f"{reference}: leads to {path}, outside the repository; say it in our own words"


@pytest.mark.parametrize(("doc", "reference"), REFERENCES, ids=[str(ref) for _, ref in REFERENCES])
def test_a_reference_leads_to_an_existing_file(doc: Doc, reference: Shown) -> None:
    path = target_path(doc, reference.text)
    assert path.exists(), f"{reference}: {os.path.relpath(path, ROOT)} does not exist"
