"""Refused submissions in plain words: the channel they came by, and what was wrong with each field.

Intake's reasons are a field path and a parser's message ("person.date_of_birth", "Field required"); a
coordinator reads them to tell a partner what to mend, so the path is written as words and the commonest
messages as a sentence. Anything not recognised is shown as intake wrote it. No I/O.
"""

from __future__ import annotations

import re
from typing import Any

CHANNELS = {"partner_api": "Partner's system (API)", "fhir": "NHS system (FHIR)", "csv_batch": "CSV file upload",
            "partner_kafka": "Partner's message feed", "self_referral_form": "Self-referral form",
            "phone": "Phone referral by staff", "staff_phone": "Phone referral by staff", "outreach": "Outreach"}

# What became of a refusal, as intake codes it and a coordinator says it.
FOLLOW_UPS = {"partner_told": "Partner told what to change", "no_action_needed": "Nothing to do"}

# The parser's commonest messages, as a coordinator would say them to a partner.
PROBLEMS = {"Field required": "is missing", "Extra inputs are not permitted": "is not a field we accept",
            "Input should be a valid string": "should be text", "Input should be a valid integer": "should be a number",
            "Input should be a valid boolean": "should be yes or no (true or false)"}


def channel_name(channel: str) -> str:
    return CHANNELS.get(channel, channel.replace("_", " "))


def field_name(field: str) -> str:
    """`person.date_of_birth` -> "person: date of birth"; `items.0.name` -> "items (1st): name"."""
    if field.startswith("<") or " " in field:
        return {"<record>": "the message", "<body>": "the submission"}.get(field, field)
    words = []
    for part in re.split(r"[.\[\]]+", field):
        if not part:
            continue
        if part.isdigit():
            words[-1:] = [f"{words[-1] if words else 'item'} number {int(part) + 1}"]
        else:
            words.append(part.replace("_", " "))
    return ": ".join(words) or field


def problem_text(problem: str) -> str:
    plain = PROBLEMS.get(problem)
    if plain:
        return plain
    return problem.removeprefix("Value error, ")


# What intake calls a field whose name it does not show (a sender's own key, which could be a name).
UNNAMED_FIELD = "a field we did not expect"


def plain_reasons(reasons: list[dict[str, Any]]) -> list[str]:
    """Each of intake's reasons as one sentence: "person: date of birth is missing"."""
    sentences = []
    for reason in reasons:
        field, problem = str(reason.get("field") or ""), str(reason.get("problem") or "")
        if field == UNNAMED_FIELD and problem == "Extra inputs are not permitted":
            sentences.append("it has a field we do not accept (its name is not shown: it could name a person)")
            continue
        said = problem_text(problem)
        connector = " " if said in PROBLEMS.values() else ": "
        sentences.append(f"{field_name(field)}{connector}{said}" if field else said)
    return sentences
