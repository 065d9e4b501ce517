"""Cells for CSV files people open in spreadsheets.

A text cell beginning `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice and
Google Sheets as a formula (`=HYPERLINK(...)` sends whoever clicks it, with data from the sheet, to a
stranger). Such text is written with a leading apostrophe, as OWASP recommends, which the spreadsheet
shows as text. Numbers are written as numbers: a mean change of -3.0 is a number, not a formula.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, (int, float, Decimal)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
