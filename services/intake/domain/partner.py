"""A partner: an organisation that refers people, and the programmes it may refer to. No I/O."""

from __future__ import annotations

from dataclasses import dataclass

# Referrals that arrive without an external referrer system to call back: the form, the phone, outreach.
SYSTEM_PARTNERS = frozenset({"self-referral", "staff-phone", "outreach"})


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    allowed_programmes: tuple[str, ...]
    # The partner attests that the person consented to the referral when a message carries no
    # Consent (NHS systems record consent in their own record and send none, as BaRS allows).
    attests_consent: bool = False

    def may_refer_to(self, programme_id: str) -> bool:
        return programme_id in self.allowed_programmes

    @property
    def only_programme(self) -> str | None:
        """The programme a referral goes to when it names none: the partner's one, if it has one."""
        return self.allowed_programmes[0] if len(self.allowed_programmes) == 1 else None

    @staticmethod
    def reserved(partner_id: str) -> bool:
        return partner_id in SYSTEM_PARTNERS
