"""The CLI's own tables keep the layout tabulate's "simple" format gave them (expected texts made by tabulate 0.10)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.cli.table import BOOL, EMPTY, FLOAT, INT, TEXT, kind, table

CASES = {
    "numbers right, text left and stripped, headers two wider": (
        [["7", "soup arrived cold", "0"], ["10000", " late ", "12"]],
        ["id", "summary", "escalation_level"],
        "   id  summary              escalation_level\n"
        "-----  -----------------  ------------------\n"
        "    7  soup arrived cold                   0\n"
        "10000  late                               12",
    ),
    "floats on their point, as g writes them": (
        [["1234.5678", "0.5"], ["12.25", "-"], ["1e-7", "3"]],
        ["clv", "p_alive"],
        "     clv  p_alive\n--------  ---------\n1234.57   0.5\n  12.25   -\n   1e-07  3",
    ),
    "a cell with a line break takes two lines": (
        [["1", "first\nsecond", "x"], ["2", "one", "y"]],
        ["id", "note", "z"],
        "  id  note    z\n----  ------  ---\n   1  first   x\n      second\n   2  one     y",
    ),
    "thousands separators are numbers, True is not": (
        [["1,234", "True"], ["5", "False"]],
        ["n", "paused"],
        "    n  paused\n-----  --------\n1,234  True\n    5  False",
    ),
    "no rows: the headers alone": ([], ["id", "state"], "id    state\n----  -------"),
}


@pytest.mark.parametrize(("rows", "headers", "expected"), CASES.values(), ids=CASES.keys())
def test_a_table_is_laid_out_as_tabulate_laid_it_out(rows: list[list[str]], headers: list[str], expected: str) -> None:
    assert table(rows, headers) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        *[("", EMPTY), ("False", BOOL), ("-12", INT), ("1,234", INT), ("1,234.5", FLOAT), ("nan", FLOAT)],
        *[("1e400", TEXT), ("infinity", TEXT), ("12,34", TEXT), ("20%", TEXT)],
    ],
)
def test_a_cell_is_read_as_the_most_particular_kind_it_can_be(cell: str, expected: int) -> None:
    assert kind(cell) == expected


@given(st.lists(st.lists(st.text(st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"])), min_size=3, max_size=3)))
def test_every_row_has_a_line_and_no_line_ends_in_a_space(rows: list[list[str]]) -> None:
    lines = table(rows, ["a", "b", "c"]).split("\n")
    assert len(lines) == len(rows) + 2
    assert not [line for line in lines if line != line.rstrip()]
