"""The CLI's plain text tables, laid out as tabulate's "simple" format laid them out.

Each column is as wide as its widest cell, or as its header and two spaces, and columns are two spaces apart.
A column whose every cell reads as a number is right-aligned, floats on their decimal point and written as
``format(x, "g")`` writes them; any other column is left-aligned, its cells stripped. A cell with line breaks
takes as many lines as it has. Own code rather than tabulate's: importing tabulate and its type guessing cost
a listing about 14 ms of its start-up.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence

# A column's kind is its most general cell's, in this order (tabulate's): a blank cell fits any kind.
EMPTY, BOOL, INT, FLOAT, TEXT = range(5)
# 1,234 and 1,234.5: a number with thousands separators (tabulate's pattern; compiled only for a cell with a comma).
GROUPED = r"^(([+-]?[0-9]{1,3})(?:,([0-9]{3}))*)?(?(1)\.[0-9]*|\.[0-9]+)?$"


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """``rows`` of text cells under ``headers``: a header line, a line of dashes, then each row's lines."""
    multiline = any("\n" in cell or "\r" in cell for row in rows for cell in row)
    transposed = list(zip(*rows, strict=True)) or [() for _ in headers]
    columns = [_column(list(cells), header, multiline) for cells, header in zip(transposed, headers, strict=True)]
    lines = [_joined(header for header, _, _ in columns), _joined("-" * width for _, width, _ in columns)]
    for at in range(len(rows)):
        cells = [(column[at], width) for _, width, column in columns]
        height = max(len(cell) for cell, _ in cells)
        lines.extend(_joined(_line(cell, n, width) for cell, width in cells) for n in range(height))
    return "\n".join(lines)


def kind(cell: str) -> int:
    """The cell's kind: EMPTY, BOOL, INT, FLOAT (finite, or spelled inf or nan) or TEXT."""
    if not cell:
        return EMPTY
    if cell in ("True", "False"):
        return BOOL
    grouped = "," in cell and re.match(GROUPED, cell) is not None
    if _converts(int, cell) or (grouped and "." not in cell):
        return INT
    if grouped or (_converts(float, cell) and (math.isfinite(float(cell)) or cell.lower() in ("inf", "-inf", "nan"))):
        return FLOAT
    return TEXT


def _column(cells: list[str], header: str, multiline: bool) -> tuple[str, int, list[list[str]]]:
    """The column's header and width, and each cell as its lines, padded to that width."""
    most = max(map(kind, cells), default=EMPTY)
    if most == FLOAT:
        cells = [_float(cell) for cell in cells]
    numeric = most in (INT, FLOAT)
    cells = _on_points(cells) if numeric else [cell.strip() for cell in cells]
    split = [cell.splitlines() if multiline else [cell] for cell in cells]
    width = max([len(header) + 2, *(len(line) for lines in split for line in lines)])
    pad: Callable[[str, int], str] = str.rjust if numeric else str.ljust
    return pad(header, width), width, [[pad(line, width) for line in lines] for lines in split]


def _float(cell: str) -> str:
    try:
        return format(float(cell.replace(",", "")), "g")
    except ValueError:  # a blank or a True in a column of numbers
        return cell


def _on_points(cells: list[str]) -> list[str]:
    """Cells padded on the right so that, right-aligned, their decimal points line up."""
    decimals = [_after_point(cell) for cell in cells]
    most = max(decimals, default=-1)
    return [cell + " " * (most - n) for cell, n in zip(cells, decimals, strict=True)]


def _after_point(cell: str) -> int:
    """How many characters follow a float's point (or its exponent's e); -1 for anything else."""
    if kind(cell) != FLOAT:
        return -1
    point = cell.rfind(".")
    point = cell.lower().rfind("e") if point < 0 else point
    return len(cell) - point - 1 if point >= 0 else -1


def _converts(to: Callable[[str], object], cell: str) -> bool:
    try:
        to(cell)
    except ValueError:
        return False
    return True


def _line(cell: list[str], n: int, width: int) -> str:
    """Line ``n`` of a cell, blank below its last."""
    return cell[n] if n < len(cell) else " " * width


def _joined(cells: Iterable[str]) -> str:
    return "  ".join(cells).rstrip()
