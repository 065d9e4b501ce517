"""The Patient -> the canonical submission's ``person``: name, birth date, gender, NHS number,
contact details, address, language and ethnicity (UK Core extensions), each problem an issue."""

from __future__ import annotations

from datetime import date
from typing import Any

from ...domain import normalise
from .elements import concept_code, concept_text, current, extensions, first_valid_phone, prune, sub_extension, telecom
from .issues import IssueLog
from .parsing import Located
from .systems import EXT_INTERPRETER_REQUIRED, EXT_UKCORE_ETHNIC_CATEGORY, EXT_UKCORE_NHS_COMMUNICATION, NHS_NUMBER_SYSTEM


def person_from(patient: Located, log: IssueLog) -> dict[str, Any]:
    """The ``person`` dict (absent values left out); problems go to ``log``."""
    return _PersonMapper(log).person(patient)


class _PersonMapper:
    def __init__(self, log: IssueLog) -> None:
        self.problem = log.problem

    def person(self, patient: Located) -> dict[str, Any]:
        resource, path = patient.resource, patient.path
        person: dict[str, Any] = {}
        self._name(resource, path, person)
        self._birth_date(resource, path, person)
        self._gender(resource, path, person)
        self._nhs_number(resource, path, person)
        self._contact(resource, path, person)
        self._address(resource, path, person)
        self._language(resource, person)
        ethnicity = next((concept_text(e.valueCodeableConcept) for e in extensions(resource, EXT_UKCORE_ETHNIC_CATEGORY)), None)
        person["ethnicity"] = ethnicity
        return prune(person)

    def _name(self, resource: Any, path: str, person: dict[str, Any]) -> None:
        names = current(resource.name or [], frozenset({"old", "maiden", "anonymous"}))
        by_use = {use: next(((k, n) for k, n in names if n.use == use), None) for use in ("official", "usual")}
        chosen = by_use["official"] or by_use["usual"] or (names[0] if names else None)
        if chosen is None:
            self.problem("required", f"{path}.name", "the Patient has no (current) name")
            return
        k, name = chosen
        given = " ".join(g.strip() for g in (name.given or []) if g and g.strip())
        family = (name.family or "").strip()
        if not given:
            self.problem("required", f"{path}.name[{k}].given", "the Patient's given name is missing")
        if not family:
            self.problem("required", f"{path}.name[{k}].family", "the Patient's family name is missing")
        person["given_name"] = given or None
        person["family_name"] = family or None
        usual = by_use["usual"]
        if usual is not None and usual[0] != k and usual[1].given:
            preferred = usual[1].given[0].strip()
            if preferred and preferred != (name.given or [""])[0].strip():
                person["preferred_name"] = preferred

    def _birth_date(self, resource: Any, path: str, person: dict[str, Any]) -> None:
        born = resource.birthDate
        if not isinstance(born, date):  # absent, or partial (year / year-month): not a date of birth
            return
        if born > date.today():
            self.problem("value", f"{path}.birthDate", "the birth date is in the future")
        elif born.year < 1900:
            self.problem("value", f"{path}.birthDate", "the birth date is before 1900")
        else:
            person["date_of_birth"] = born.isoformat()

    def _gender(self, resource: Any, path: str, person: dict[str, Any]) -> None:
        gender = resource.gender
        if gender is None or gender == "unknown":
            return
        if gender not in ("male", "female", "other"):
            self.problem("value", f"{path}.gender", "gender must be one of male, female, other, unknown")
            return
        person["gender"] = gender

    def _nhs_number(self, resource: Any, path: str, person: dict[str, Any]) -> None:
        for j, identifier in enumerate(resource.identifier or []):
            if identifier.system != NHS_NUMBER_SYSTEM or not identifier.value:
                continue
            try:
                person["nhs_number"] = normalise.nhs_number(identifier.value)
            except ValueError as exc:
                words = "NHS number check digit does not match" if "check digit" in str(exc) else "an NHS number has 10 digits"
                self.problem("invalid", f"{path}.identifier[{j}].value", words)
            return

    def _contact(self, resource: Any, path: str, person: dict[str, Any]) -> None:
        phones = telecom(resource, frozenset({"phone", "sms"}))
        if phones:
            person["phone"] = first_valid_phone([resource])
            if person["phone"] is None:
                self.problem("invalid", f"{path}.telecom[{phones[0][0]}].value", "the Patient's phone number is not a valid phone number")
        emails = telecom(resource, frozenset({"email"}))
        for k, cp in emails:
            local, at, domain = cp.value.strip().partition("@")
            if at and local and "." in domain and not any(c.isspace() for c in cp.value.strip()):
                person["email"] = cp.value.strip()
                break
        else:
            if emails:
                self.problem("invalid", f"{path}.telecom[{emails[0][0]}].value", "the Patient's email is not an email address")

    def _address(self, resource: Any, path: str, person: dict[str, Any]) -> None:
        addresses = current(resource.address or [])
        if not addresses:
            return
        k, address = next(((k, a) for k, a in addresses if a.use == "home"), addresses[0])
        lines = [line.strip() for line in (address.line or []) if line and line.strip()]
        postcode = None
        if address.postalCode:
            try:
                postcode = normalise.postcode(address.postalCode)
            except ValueError:
                self.problem("invalid", f"{path}.address[{k}].postalCode", "the postcode is not a UK postcode")
        mapped = prune({
            "line1": lines[0] if lines else None,
            "line2": ", ".join(lines[1:]) or None,
            "town": (address.city or address.district or "").strip() or None,
            "postcode": postcode,
        })
        if mapped:
            person["address"] = mapped
        if postcode:
            person["postcode"] = postcode

    def _language(self, resource: Any, person: dict[str, Any]) -> None:
        # (language code, preferred?, interpreter required?) from UK Core NHSCommunication and Patient.communication
        options: list[tuple[str | None, bool, bool]] = []
        for ext in extensions(resource, EXT_UKCORE_NHS_COMMUNICATION):
            language = sub_extension(ext, "language")
            preferred = sub_extension(ext, "preferred")
            interpreter = sub_extension(ext, "interpreterRequired")
            options.append((
                concept_code(language.valueCodeableConcept) if language else None,
                bool(preferred and preferred.valueBoolean),
                bool(interpreter and interpreter.valueBoolean),
            ))
        for communication in resource.communication or []:
            options.append((concept_code(communication.language), bool(communication.preferred), False))
        with_language = [o for o in options if o[0]]
        chosen = next((o for o in with_language if o[1]), with_language[0] if with_language else None)
        if chosen:
            person["language"] = chosen[0]
        interpreter = any(o[2] for o in options) or any(
            e.valueBoolean is True for e in extensions(resource, EXT_INTERPRETER_REQUIRED)
        )
        if interpreter:
            person["interpreter_needed"] = True
