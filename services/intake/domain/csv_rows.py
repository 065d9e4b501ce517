"""Council batch files: a partner's column mapping turns each CSV row into a canonical referral. No I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

DATE_PATHS = frozenset({"person.date_of_birth"})
BOOL_PATHS = frozenset({"consent.to_referral", "consent.to_data_sharing", "consent.to_contact",
                        "person.interpreter_needed"})
INT_PATHS = frozenset({"person.age_years"})
LIST_PATHS = frozenset({"needs", "risk_flags", "contact_preferences.do_not_contact_by"})


class CsvMapping(BaseModel):
    """Which CSV column fills which canonical field (dotted path), and how to read values."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str] = Field(description="canonical path -> CSV header", min_length=1)
    defaults: dict[str, Any] = Field(default_factory=dict, description="canonical path -> value for every row")
    reference_column: str | None = Field(default=None, description="the partner's own id for each row")
    date_format: str = "%d/%m/%Y"
    list_separator: str = ";"
    true_values: list[str] = ["yes", "y", "true", "1"]
    false_values: list[str] = ["no", "n", "false", "0", ""]

    @field_validator("date_format")
    @classmethod
    def _usable(cls, value: str) -> str:
        datetime(2000, 12, 31).strftime(value)
        if "%d" not in value or "%m" not in value or "%Y" not in value:
            raise ValueError("date_format needs %d, %m and %Y")
        return value

    def headers(self) -> set[str]:
        return set(self.columns.values()) | ({self.reference_column} if self.reference_column else set())


class RowError(ValueError):
    def __init__(self, column: str, problem: str) -> None:
        super().__init__(f"{column}: {problem}")
        self.column = column
        self.problem = problem


def row_to_submission(row: dict[str, str | None], mapping: CsvMapping) -> dict[str, Any]:
    """The canonical dict for one row; RowError names the column at fault."""
    data: dict[str, Any] = {}
    for path, value in mapping.defaults.items():
        _put(data, path, value)
    for path, column in mapping.columns.items():
        raw = (row.get(column) or "").strip()
        if raw == "" and path not in BOOL_PATHS:
            continue
        _put(data, path, _convert(path, column, raw, mapping))
    if mapping.reference_column:
        reference = (row.get(mapping.reference_column) or "").strip()
        if reference:
            data["partner_referral_id"] = reference
    return data


def _convert(path: str, column: str, raw: str, mapping: CsvMapping) -> Any:
    if path in DATE_PATHS:
        try:
            return datetime.strptime(raw, mapping.date_format).date().isoformat()
        except ValueError:
            raise RowError(column, f"not a date in the form {mapping.date_format}") from None
    if path in BOOL_PATHS:
        lowered = raw.lower()
        if lowered in mapping.true_values:
            return True
        if lowered in mapping.false_values:
            return False
        raise RowError(column, f"expected one of {', '.join(mapping.true_values + mapping.false_values)}")
    if path in INT_PATHS:
        try:
            return int(raw)
        except ValueError:
            raise RowError(column, "not a whole number") from None
    if path in LIST_PATHS:
        return [item.strip() for item in raw.split(mapping.list_separator) if item.strip()]
    return raw


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def column_for(location: tuple, mapping: CsvMapping) -> str:
    """Name a pydantic error location the way the partner knows it: by its CSV column."""
    path = ".".join(str(p) for p in location)
    while path:
        if path in mapping.columns:
            return mapping.columns[path]
        path = path.rpartition(".")[0]
    return ".".join(str(p) for p in location) or "<row>"
