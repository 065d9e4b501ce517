"""Normalisers for what people type: UK postcodes, phone numbers, email addresses, names, NHS numbers.

Each returns the normal form or raises ValueError with a message fit to show the
person who typed it (never echoing other people's data).
"""

from __future__ import annotations

import re

import phonenumbers

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")


def postcode(value: str) -> str:
    """'e81dy' -> 'E8 1DY'."""
    match = _POSTCODE.match(re.sub(r"\s+", "", value.upper()))
    if not match:
        raise ValueError("not a UK postcode (expected e.g. 'E8 1DY')")
    return f"{match.group(1)} {match.group(2)}"


def postcode_district(normalised_postcode: str) -> str:
    """'E8 1DY' -> 'E8' (the outward code)."""
    return normalised_postcode.split(" ")[0]


def postcode_sector(normalised_postcode: str) -> str:
    """'E8 1DY' -> 'E8 1'."""
    outward, inward = normalised_postcode.split(" ")
    return f"{outward} {inward[0]}"


# Ofcom's ranges for drama and examples (national significant numbers, E.164 without +44): real numbers
# that are never allocated, used in forms' hints and in tests. libphonenumber calls the two that are not
# in an allocated block invalid, so they are listed here.
_DRAMA_RANGES = (re.compile(r"^1632960\d{3}$"), re.compile(r"^7700900\d{3}$"))
_EXPECTED_PHONE = "a UK phone number, like 01632 960 001 or 07700 900 982 (or +44 ...)"


def phone(value: str, region: str = "GB") -> str:
    """A UK (or international, with +) phone number in E.164: '020 7946 0018' -> '+442079460018'.

    The usual written forms are read: spaces, dashes, brackets, '+44 (0)...', '0044 ...'.
    """
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"not a phone number: expected {_EXPECTED_PHONE}") from None
    national = str(parsed.national_number)
    drama = parsed.country_code == 44 and any(r.match(national) for r in _DRAMA_RANGES)
    if not (phonenumbers.is_valid_number(parsed) or drama):
        raise ValueError(f"not a valid phone number: expected {_EXPECTED_PHONE}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def email(value: str) -> str:
    """An email address as typed, its domain in lower case (the part before @ may be case-sensitive)."""
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value):
        raise ValueError("not an email address")
    return f"{local}@{domain.lower()}"


def name(value: str) -> str:
    """Collapse whitespace; title-case a name typed all in one case, leave mixed case alone."""
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValueError("must not be blank")
    if cleaned.isupper() or cleaned.islower():
        # Capitalise each word and each part of a double-barrelled word ('MARY-JANE SMITH' -> 'Mary-Jane Smith').
        cleaned = " ".join(
            "-".join(part.capitalize() for part in word.split("-")) for word in cleaned.title().split(" ")
        )
    return cleaned


def nhs_number(value: str) -> str:
    """Ten digits with a valid modulus-11 check digit; spaces and dashes are ignored."""
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"[0-9]{10}", digits):  # ASCII only: r"\d" also matches e.g. Arabic-Indic digits
        raise ValueError("an NHS number has 10 digits")
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        raise ValueError("not a valid NHS number (check digit does not match)")
    return digits
