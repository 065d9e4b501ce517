"""Languages as people say them: the codes caseload and intake keep (en, so, pt-BR) shown by name, and a
coordinator's "Turkish, Somali" read back as codes. langcodes holds the CLDR names, so no table is kept here."""

from __future__ import annotations

import langcodes

# CLDR's English names where UK services say something else.
_UK_NAMES = {"bn": "Bengali", "fa-AF": "Dari", "prs": "Dari", "pa": "Punjabi", "ckb": "Kurdish (Sorani)"}


def name_of(value: str | None) -> str:
    """The language's name ('so' -> 'Somali'); a value that is not a known code is shown as it was given."""
    text = (value or "").strip()
    if not text:
        return ""
    try:
        tag = langcodes.get(text)
    except (langcodes.LanguageTagError, ValueError):
        return text
    if not tag.is_valid() or not tag.language:
        return text
    return _UK_NAMES.get(tag.to_tag()) or tag.display_name("en")


def code_of(value: str) -> str | None:
    """The code for a language given by code ('tr') or by English name ('Turkish'); None when it is neither."""
    text = value.strip()
    if not text or len(text) > 60:
        return None
    try:
        tag = langcodes.get(text)
        if tag.is_valid() and tag.language:
            return tag.to_tag()
    except (langcodes.LanguageTagError, ValueError):
        pass
    try:
        return langcodes.find(text).to_tag()
    except LookupError:
        return None
