"""CSV that staff can open in a spreadsheet without running what people typed.

A cell starting with = + - @ (or a tab or carriage return) is a formula to Excel, LibreOffice
and Google Sheets; names, emails, LTI subs, board names and reasons come from the LMS or from
people, so every text cell that starts so gets a leading apostrophe (OWASP's advice on CSV
injection) and is shown as text. Non-text cells pass unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell a spreadsheet will not run as a formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """CSV lines for `rows`, every cell made safe."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()
