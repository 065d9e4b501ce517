"""What a name sounds like: a phonetic key per word, so "Jon Smyth" finds John Smith and "Mohammed" finds
Muhammad. No I/O.

The keys are Metaphone codes (jellyfish's, a maintained library), which drop the vowels and spellings that
differ between ways of writing one spoken name. They say a lot about a name, so they are personal data too:
the search adapter stores only their keyed blind indexes, never the codes.
"""

from __future__ import annotations

import jellyfish

from services.intake.domain.matching import name_key


def sound_of(word: str) -> str:
    """The phonetic key of one word of a name ('' for a word with nothing to sound, such as digits only)."""
    return jellyfish.metaphone(word) if word else ""


def sounds_of(*names: str | None) -> tuple[str, ...]:
    """The phonetic key of each word of these names, in normal form, each once, in the order first met."""
    words = (word for name in names if name for word in name_key(name).split())
    return tuple(dict.fromkeys(s for s in map(sound_of, words) if s))


# A typed word shorter than this sounds like too many names to be worth showing ("Jo" is "J": every
# Jane, Joe and Jiang), so a search with one finds exact names only.
SHORTEST_SOUNDED = 3


def sounds_to_search(typed: str) -> tuple[str, ...]:
    """The phonetic keys a typed name searches by: every word must sound like one of the person's name words,
    so a word with nothing to sound, or too short to say much, means no sound-alike search at all (an empty
    tuple)."""
    words = name_key(typed).split()
    if any(len(w) < SHORTEST_SOUNDED for w in words):
        return ()
    sounds = [sound_of(w) for w in words]
    return tuple(dict.fromkeys(sounds)) if sounds and all(sounds) else ()
