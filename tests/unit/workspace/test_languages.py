"""Languages in people's words: codes shown by name, names typed by coordinators read back as codes."""

import pytest

from services.workspace.domain.languages import code_of, name_of


@pytest.mark.parametrize("code, name", [("en", "English"), ("so", "Somali"), ("tr", "Turkish"), ("bn", "Bengali"),
                                        ("pt-BR", "Portuguese (Brazil)"), ("fa-AF", "Dari"), ("yue", "Cantonese")])
def test_a_code_is_shown_by_its_name(code, name):
    assert name_of(code) == name


@pytest.mark.parametrize("given", ["Somali", "zz", "Sign language (BSL)", ""])
def test_what_is_not_a_known_code_is_shown_as_given(given):
    assert name_of(given) == given


@pytest.mark.parametrize("typed, code", [("Turkish", "tr"), ("somali", "so"), ("tr", "tr"), ("EN", "en"),
                                         ("Polish", "pl"), ("Urdu", "ur"), ("Bengali", "bn")])
def test_a_language_typed_by_name_or_code_is_read_as_its_code(typed, code):
    assert code_of(typed) == code


@pytest.mark.parametrize("typed", ["Elvish", "", "x" * 61, "zz"])
def test_what_is_not_a_language_has_no_code(typed):
    assert code_of(typed) is None
