"""The self-referral pages, rendered with Jinja2 and NHS.UK frontend's component macros.

Every page extends ``base.html`` (shared/web/templates) (a layout a staff page can extend too) and works
with no JavaScript: a plain HTML form POST, no ``<script>``. Accessibility follows NHS.UK /
GOV.UK conventions and WCAG 2.2 AA: a label for every control, hints and errors tied to their
controls with aria-describedby, an error summary at the top that links to each field, radios,
checkboxes and date parts grouped in fieldsets with legends, and no HTML5 validation
(``novalidate``: browser messages are not accessible; the server checks everything).

This module turns the field table (``fields.py``) and what was posted into the parameters
of the NHS.UK macros (nhsuk-frontend-jinja); the templates only lay them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
)

import services.intake.entrypoints.self_referral.assets as assets
from shared.web import assets as shared_assets
from services.intake.entrypoints.self_referral.fields import (
    FIELDS_BY_NAME,
    FORM_FIELDS,
    FORM_ID,
    TICKED,
    FormField,
)
from services.intake.entrypoints.self_referral.parsing import clean, date_part_ok

TEMPLATES = Path(__file__).parent / "templates"

# ChainableUndefined: the NHS.UK macros read optional parameters several levels deep.
_ENV = Environment(
    # base.html and _error_summary.html are shared with the staff workspace (shared/web/templates).
    loader=ChoiceLoader([FileSystemLoader([TEMPLATES, shared_assets.TEMPLATES]), PackageLoader("nhsuk_frontend_jinja")]),
    undefined=ChainableUndefined,
    autoescape=True,
    trim_blocks=True,  # no blank lines where {% if %} and {% for %} were
    lstrip_blocks=True,
)


def render(template: str, **context: Any) -> str:
    """Any page on the base layout; ``title`` and ``service_name`` fill its title and header."""
    return _ENV.get_template(template).render(stylesheets=assets.stylesheet_urls(), **context)


# ---------------------------------------------------------------------------------------
# Values as posted (strings, or lists for checkboxes; anything else is ignored)
# ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return clean(value if isinstance(value, str) else str(value))


def _value_of(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    if isinstance(value, (list, tuple)):
        value = next((item for item in value if isinstance(item, str)), "")
    return clean(value) if isinstance(value, str) else ""


def _values_of(values: Mapping[str, Any], name: str) -> list[str]:
    value = values.get(name)
    if isinstance(value, str):
        return [clean(value)]
    if isinstance(value, (list, tuple)):
        return [clean(item) for item in value if isinstance(item, str)]
    return []


def _safe_mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        return {}
    try:
        return {k: v for k, v in value.items() if isinstance(k, str)}
    except Exception:
        return {}


# ---------------------------------------------------------------------------------------
# Ids, anchors and labels
# ---------------------------------------------------------------------------------------


def _option_id(field: FormField, value: str) -> str:
    return f"{field.name}-{value}"


def _control_id(field: FormField) -> str:
    if field.input_type in ("radios", "checkboxes"):
        return _option_id(field, field.options[0].value)
    if field.input_type == "date":
        return field.parts[0].name
    return field.name


def _date_parts_in_error(field: FormField, values: Mapping[str, Any]) -> list[str]:
    """GOV.UK: highlight only the parts that are missing or not numbers; otherwise all of them."""
    everything = [part.name for part in field.parts]
    bad = [part.name for part in field.parts if not date_part_ok(part.name, _value_of(values, part.name))]
    if not bad or len(bad) == len(field.parts):
        return everything
    if any(_value_of(values, part.name).strip() for part in field.parts):
        return bad
    return everything


def _anchor(key: str, values: Mapping[str, Any]) -> str:
    field = FIELDS_BY_NAME.get(key)
    if field is None:
        return FORM_ID
    if field.input_type == "date":
        return _date_parts_in_error(field, values)[0]
    return _control_id(field)


def _label(field: FormField, programme_name: str) -> str:
    label = field.label.replace("{programme_name}", programme_name)
    if field.optional and field.input_type != "checkbox" and "(optional)" not in field.label:
        label += " (optional)"
    return label


# ---------------------------------------------------------------------------------------
# One field -> the parameters of its NHS.UK macro
# ---------------------------------------------------------------------------------------


def _common(field: FormField, error: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if field.hint:
        params["hint"] = {"text": field.hint}
    if error:
        params["errorMessage"] = {"text": error}
    return params


def _legend(text: str) -> dict[str, Any]:
    return {"legend": {"text": text, "size": "s"}}


def _input(field: FormField, values: Mapping[str, Any], error: str | None, programme_name: str) -> dict[str, Any]:
    attributes = {}
    if error:
        attributes["aria-invalid"] = "true"
    if field.required:
        attributes["aria-required"] = "true"
    params = {
        "id": field.name,
        "name": field.name,
        "type": {"tel": "tel", "email": "email"}.get(field.input_type, "text"),
        "value": _value_of(values, field.name),
        "label": {"text": _label(field, programme_name), "size": "s"},
        "attributes": attributes,
        **_common(field, error),
    }
    optional = {
        "width": field.width,
        "autocomplete": field.autocomplete,
        "inputmode": "numeric" if field.input_type == "numeric" else None,
        "spellcheck": field.spellcheck,
    }
    params.update({k: v for k, v in optional.items() if v is not None})
    return params


def _textarea(field: FormField, values: Mapping[str, Any], error: str | None, programme_name: str) -> dict[str, Any]:
    return {
        "id": field.name,
        "name": field.name,
        # Browsers drop the newline straight after <textarea>, so a value that starts with one keeps it.
        "value": "\n" + _value_of(values, field.name),
        "rows": 5,
        "label": {"text": _label(field, programme_name), "size": "s"},
        "attributes": {"spellcheck": "true", **({"aria-invalid": "true"} if error else {})},
        **_common(field, error),
    }


def _date(field: FormField, values: Mapping[str, Any], error: str | None, programme_name: str) -> dict[str, Any]:
    in_error = set(_date_parts_in_error(field, values)) if error else set()
    items = [
        {
            "id": part.name,
            "name": part.name,
            "label": part.label,
            "value": _value_of(values, part.name),
            "width": part.width,
            "autocomplete": part.autocomplete,
            "inputmode": "numeric",
            "error": part.name in in_error,
            "attributes": {"aria-invalid": "true"} if part.name in in_error else {},
        }
        for part in field.parts
    ]
    return {"id": field.name, "fieldset": _legend(_label(field, programme_name)), "items": items,
            **_common(field, error)}


def _choices(field: FormField, values: Mapping[str, Any], error: str | None, programme_name: str) -> dict[str, Any]:
    radios = field.input_type == "radios"
    chosen = {_value_of(values, field.name)} if radios else set(_values_of(values, field.name))
    items = [
        {"value": o.value, "text": o.label, "id": _option_id(field, o.value), "checked": o.value in chosen}
        | ({"hint": {"text": o.hint}} if o.hint else {})
        for o in field.options
    ]
    return {"name": field.name, "idPrefix": field.name, "fieldset": _legend(_label(field, programme_name)),
            "items": items, **_common(field, error)}


def _single_checkbox(field: FormField, values: Mapping[str, Any], error: str | None,
                     programme_name: str) -> dict[str, Any]:
    legend = (field.legend or field.label) + (" (optional)" if field.optional else "")
    item = {
        "value": "yes",
        "text": _label(field, programme_name),
        "id": field.name,
        "checked": any(v.strip().lower() in TICKED for v in _values_of(values, field.name)),
        "attributes": {"aria-invalid": "true"} if error else {},
    }
    return {"name": field.name, "idPrefix": field.name, "fieldset": _legend(legend), "items": [item],
            **_common(field, error)}


_MACROS = {  # input_type -> (the macro the template calls, how to build its parameters)
    "date": ("dateInput", _date),
    "radios": ("radios", _choices),
    "checkboxes": ("checkboxes", _choices),
    "checkbox": ("checkboxes", _single_checkbox),
    "textarea": ("textarea", _textarea),
}


def _field(field: FormField, values: Mapping[str, Any], error: str | None, programme_name: str) -> dict[str, Any]:
    macro, build = _MACROS.get(field.input_type, ("input", _input))
    return {"macro": macro, "params": build(field, values, error, programme_name)}


def _sections(values: Mapping[str, Any], errors: Mapping[str, str], programme_name: str) -> list[dict[str, Any]]:
    """FORM_FIELDS as sections (an <h2> each) of blocks: one field, or a group in its own fieldset."""
    sections: list[dict[str, Any]] = []
    for field in FORM_FIELDS:
        if not sections or (field.section and field.section != sections[-1]["heading"]):
            sections.append({"heading": field.section, "blocks": []})
        blocks = sections[-1]["blocks"]
        if field.group and blocks and blocks[-1]["group"] and blocks[-1]["group"]["text"] == field.group:
            blocks[-1]["fields"].append(_field(field, values, errors.get(field.name), programme_name))
            continue
        group = None
        if field.group:
            group = {"text": field.group, "hint": field.group_hint,
                     "hint_id": "group-" + "-".join(field.group.lower().split()) + "-hint"}
        blocks.append({"group": group, "fields": [_field(field, values, errors.get(field.name), programme_name)]})
    return sections


def _error_list(errors: Mapping[str, str], values: Mapping[str, Any]) -> list[dict[str, str]]:
    """General problems first, then one link per field in the order the fields appear."""
    ordered = [k for k in errors if k not in FIELDS_BY_NAME] + [f.name for f in FORM_FIELDS if f.name in errors]
    return [{"href": f"#{_anchor(key, values)}", "text": errors[key]} for key in ordered]


# ---------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------


def render_form(
    *,
    programme_id: str,
    programme_name: str,
    action: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    csrf_token: str = "",
) -> str:
    """The self-referral page: a complete HTML5 document, re-filled with ``values``.

    ``values`` are the fields as posted (strings, or lists for checkboxes); ``errors`` are
    keyed by form field name, as ``form_to_submission`` returns them.
    """
    values_map = _safe_mapping(values)
    errors_map = {k: _text(v) for k, v in _safe_mapping(errors).items() if v}
    name = _text(programme_name)
    title = f"Ask {name} for support"
    return render(
        "form.html",
        title=f"Error: {title}" if errors_map else title,
        service_name=name,
        programme_name=name,
        programme_id=_text(programme_id),
        action=_text(action),
        csrf_token=_text(csrf_token),
        form_id=FORM_ID,
        error_list=_error_list(errors_map, values_map),
        sections=_sections(values_map, errors_map, name),
    )


def render_confirmation(*, reference: str, programme_name: str) -> str:
    """The page shown once a referral is received: the reference, what happens next, help."""
    name = _text(programme_name)
    return render("confirmation.html", title=f"Referral received – {name}", service_name=name,
                  programme_name=name, reference=_text(reference))


def render_busy(*, retry_after_s: int, looking_up: bool = False, unavailable: bool = False) -> str:
    """Too many forms just now (nothing was kept), or, ``looking_up``, too many references that matched
    nothing, or, ``unavailable``, the form could not be stored: either way the person tries again in the time
    given, or calls."""
    minutes = max(1, -(-retry_after_s // 60))
    return render("busy.html", title="Please try again shortly", looking_up=looking_up, unavailable=unavailable,
                  wait_words="1 minute" if minutes == 1 else f"{minutes} minutes")


def render_not_found() -> str:
    """A programme that does not exist or whose form is not open."""
    return render("not_found.html", title="Page not found")


def render_status(*, programme_id: str, reference: str, postcode: str, found: bool | None,
                  status_words: str = "") -> str:
    """The self-referrer's status page: the form to look a referral up, and what was found.

    ``found`` is None before a search, True with ``status_words`` (the status in plain
    words) when the reference and postcode match a referral, False when they do not.
    """
    return render(
        "status.html",
        title="Check your referral",
        action=f"/self-referral/{_text(programme_id)}/status",
        reference=_text(reference),
        postcode=_text(postcode),
        found=found,
        status_words=_text(status_words),
    )
