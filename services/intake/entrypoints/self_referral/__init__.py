"""The public self-referral form and the self-referrer's status page (works without JavaScript).

``fields`` is the form's questions, ``parsing`` turns what is posted into a submission (or
messages), ``pages`` renders every page with Jinja2 and NHS.UK frontend (``templates/``,
``static/``, ``assets``), and ``routes`` is the FastAPI router under /self-referral.
"""

from services.intake.entrypoints.self_referral.fields import (
    FILLED_BY_FAMILY,
    FILLED_BY_SELF,
    FILLED_BY_STAFF,
    FORM_FIELDS,
    INPUT_NAMES,
    DatePart,
    FormField,
    Option,
)
from services.intake.entrypoints.self_referral.messages import validation_errors_to_form
from services.intake.entrypoints.self_referral.pages import (
    render_confirmation,
    render_form,
    render_not_found,
    render_status,
)
from services.intake.entrypoints.self_referral.parsing import form_to_submission

__all__ = [
    "FILLED_BY_FAMILY",
    "FILLED_BY_SELF",
    "FILLED_BY_STAFF",
    "FORM_FIELDS",
    "INPUT_NAMES",
    "DatePart",
    "FormField",
    "Option",
    "form_to_submission",
    "render_confirmation",
    "render_form",
    "render_not_found",
    "render_status",
    "validation_errors_to_form",
]
