"""What a name sounds like: one phonetic key per word, the same for spellings of one spoken name and
different for different names. Every expected key is written out by hand (Metaphone's rules)."""

from __future__ import annotations

import pytest

from services.intake.domain.name_sounds import sound_of, sounds_of, sounds_to_search


@pytest.mark.parametrize(("one", "other", "key"), [
    ("Smith", "Smyth", "SM0"), ("Jon", "John", "JN"), ("Mohammed", "Muhammad", "MHMT"), ("Mohamed", "Muhammad", "MHMT"),
    ("Stephen", "Steven", "STFN"), ("Philip", "Filip", "FLP"), ("Catherine", "Kathryn", "K0RN"), ("Ann", "Anne", "AN"),
])
def test_spellings_of_one_spoken_name_sound_alike(one, other, key):
    assert (sound_of(one), sound_of(other)) == (key, key)


@pytest.mark.parametrize(("one", "other"), [("Smith", "Jones"), ("John", "Jones"), ("Margaret", "Marg"),
                                            ("Mohammed", "Michael")])
def test_different_names_do_not_sound_alike(one, other):
    assert sound_of(one) != sound_of(other)


def test_a_person_has_the_sound_of_each_word_of_their_names_once():
    assert sounds_of("Mary-Jane", "O'Néill Smith", "Jon", "John", None) == ("MRJN", "ONL", "SM0", "JN")
    assert sounds_of(None, "", "14") == ()


def test_a_typed_name_searches_by_the_sound_of_every_word_or_not_at_all():
    assert sounds_to_search("  jon   SMYTH ") == ("JN", "SM0")
    assert sounds_to_search("Ann 14") == ()  # a word with nothing to sound: exact names only
    assert sounds_to_search("") == ()


def test_a_word_too_short_to_say_much_means_exact_names_only():
    assert sounds_to_search("Jo") == ()  # "J" would find every Jane, Joe and Jiang
    assert sounds_to_search("Li Wei") == ()
    assert sounds_to_search("Jon") == ("JN",)  # three letters are enough
