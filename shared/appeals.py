"""The 12345 vocabulary every service and the settings share (a leaf module: it imports
nothing of the platform, so `shared.settings` can use it)."""

from __future__ import annotations

from typing import Literal, get_args

AppealKind = Literal["consult", "complaint", "help", "suggestion", "report"]
# normal; utilities (water, power, gas, heating); life_property (risk to life or property).
Urgency = Literal["normal", "utilities", "life_property"]
APPEAL_KINDS: tuple[str, ...] = get_args(AppealKind)
URGENCIES: tuple[str, ...] = get_args(Urgency)
