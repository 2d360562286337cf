"""``recovery purchases``: the purchase feed from a file."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

import click

from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json


@click.group()
def purchases() -> None:
    """What customers bought: the feed behind lifetime values and silent defectors."""


@purchases.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Read FIELD (customer, order_id, ordered_at, amount, currency) from COLUMN.",
)
@click.option(
    "--source", default="file", show_default=True, help="Where the orders come from (order ids are unique per source)."
)
@click.option(
    "--skip-bad", is_flag=True, help="Import the good rows and report the bad ones (else a bad row refuses the file)."
)
@json_option
@pass_runtime
def import_(
    runtime: Runtime, path: Path, fmt: str, mapping: tuple[str, ...], source: str, skip_bad: bool, as_json: bool
) -> None:
    """Import purchases; the CSV header is customer,order_id,ordered_at,amount[,currency]; twice changes nothing."""
    from recovery.cli.progress import progress
    from recovery.engine.purchases import FIELDS, import_rows

    columns = _mapping(mapping, FIELDS)
    ctx = runtime.context()
    with path.open(newline="", encoding="utf-8-sig") as handle, progress("purchases import", unit="rows read") as bar:
        rows = _csv_rows(handle, columns) if fmt == "csv" else _jsonl_rows(handle, columns)
        report = import_rows(ctx, rows, source=source, skip_bad=skip_bad, progress=bar.update)
    if as_json:
        print_json(report.summary())
        return
    click.echo(
        f"{report.stored} stored ({report.refunds} refunds), {report.duplicates} already known, "
        f"{report.customers_added} customers added, {report.bad_count} bad rows skipped"
    )
    for problem in report.bad:
        click.echo(f"  {problem}")
    if report.won_back:
        click.echo(f"{report.won_back} win-back case(s) won back by these purchases (`recovery winback list`)")


def _mapping(pairs: tuple[str, ...], fields: tuple[str, ...]) -> dict[str, str]:
    """FIELD -> COLUMN, every field mapped to itself unless told otherwise."""
    columns = {name: name for name in fields}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or name not in fields or not column:
            raise click.BadParameter(f"expected FIELD=COLUMN with FIELD one of {', '.join(fields)}, got {pair!r}")
        columns[name] = column
    return columns


def _csv_rows(handle: TextIO, columns: Mapping[str, str]) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(handle)
    missing = [c for f, c in columns.items() if f != "currency" and c not in (reader.fieldnames or [])]
    if missing:
        raise click.BadParameter(f"the header has no column {', '.join(missing)}; it has {reader.fieldnames}")
    for row in reader:
        yield reader.line_num, {field: row.get(column) for field, column in columns.items()}


def _jsonl_rows(handle: TextIO, columns: Mapping[str, str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for line, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except ValueError:
            row = {}  # reported as missing fields on its line
        if not isinstance(row, dict):
            row = {}
        yield line, {field: row.get(column) for field, column in columns.items()}
