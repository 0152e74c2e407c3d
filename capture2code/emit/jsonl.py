"""Records as JSON Lines (DESIGN.md schema): the plan's steps, redacted as they are."""

from __future__ import annotations

from capture2code.emit import Emitted
from capture2code.plan import Plan
from capture2code.record import dumps


def emit(plan: Plan) -> Emitted:
    return Emitted("".join(dumps(step.record) + "\n" for step in plan.steps))
