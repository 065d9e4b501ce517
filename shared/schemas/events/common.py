"""Value types shared by several events."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReferralSource(Value):
    """Two-level source code as in the British Red Cross data (e.g. statutory / nhs_gp)."""

    category: str = Field(min_length=1, max_length=64)
    subcategory: str | None = Field(default=None, max_length=64)


class Instrument(StrEnum):
    UCLA3 = "ucla3"  # UCLA 3-item loneliness scale
    ONS_LONELINESS = "ons_loneliness"  # ONS direct question: how often do you feel lonely?
    SWEMWBS = "swemwbs"  # Short Warwick-Edinburgh Mental Wellbeing Scale
    ONS4 = "ons4"  # ONS personal wellbeing: satisfied, worthwhile, happy, anxious
    DJG6 = "djg6"  # De Jong Gierveld 6-item loneliness scale
    MYCAW = "mycaw"  # Measure Yourself Concerns and Wellbeing


class Timepoint(StrEnum):
    BASELINE = "baseline"
    END = "end"
    FOLLOW_UP = "follow_up"


class MeasureResponse(Value):
    """One administration of an instrument: item responses, or why it was not collected."""

    instrument: Instrument
    timepoint: Timepoint
    items: list[int] | None = None
    not_collected_reason: str | None = None
    concerns: list[str] | None = Field(default=None, description="MYCaW: the concerns, in the person's words")
