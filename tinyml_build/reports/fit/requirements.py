"""Step 0: the product's requirements -- inference rate, latency limit, power or battery budget.

Why a step of its own: every later verdict (latency met, power met) is only as good as the numbers
it is checked against, so the report says which were given, where they came from (an option, or
model.yaml's `requirements:` block), and that the checks are skipped when they are absent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tinyml_build.errors import TinyMLError
from tinyml_build.reports.fit.report import NA, PASS, WARN, Section

# name -> (unit, what it means); the options of scope `report` (config/options.py) use these names.
REQUIREMENTS = {
    "rate_hz": ("Hz", "inferences per second the product runs"),
    "latency_ms": ("ms", "longest time one inference may take"),
    "power_mw": ("mW", "average power budget of the MCU"),
    "battery_mah": ("mAh", "battery capacity"),
    "life_days": ("days", "battery life the product needs"),
}


def parse_requirement(name: str, text) -> float:
    """A positive, finite number; TinyMLError naming the option otherwise."""
    try:
        value = float(str(text).strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise TinyMLError(f"{name}={text} is not a positive number", where=f"{name}=",
                          fix=f"give the {REQUIREMENTS[name][1]} in {REQUIREMENTS[name][0]}, e.g. {name}=10")
    return value


@dataclass(frozen=True)
class Requirements:
    rate_hz: float | None = None
    latency_ms: float | None = None
    power_mw: float | None = None
    battery_mah: float | None = None
    life_days: float | None = None
    sources: dict = field(default_factory=dict)  # name -> "option" | "model.yaml"

    @classmethod
    def combine(cls, options: dict, model_yaml: dict | None) -> Requirements:
        """Options win over model.yaml's `requirements:` block; both are checked the same way."""
        values, sources = {}, {}
        for origin, given in (("model.yaml", model_yaml or {}), ("option", options or {})):
            for name, text in given.items():
                if name not in REQUIREMENTS:
                    raise TinyMLError(f"unknown requirement {name}", where=origin,
                                      fix=f"use one of: {', '.join(REQUIREMENTS)}")
                if text in (None, ""):
                    continue
                values[name], sources[name] = parse_requirement(name, text), origin
        return cls(**values, sources=dict(sorted(sources.items())))

    @property
    def period_ms(self) -> float | None:
        return 1000.0 / self.rate_hz if self.rate_hz else None

    @property
    def deadline_ms(self) -> float | None:
        """The tighter of the latency limit and the period the rate leaves."""
        limits = [v for v in (self.latency_ms, self.period_ms) if v]
        return min(limits) if limits else None

    def given(self) -> dict:
        return {name: getattr(self, name) for name in REQUIREMENTS if getattr(self, name) is not None}


def section(requirements: Requirements) -> Section:
    given = requirements.given()
    figures = {f"{name} ({REQUIREMENTS[name][0]})": value for name, value in given.items()}
    figures.update({f"{name} from": origin for name, origin in requirements.sources.items()})
    if not given:
        return Section(0, "requirements", "Requirements", NA,
                       "none given: the latency and power checks below only show figures (give rate_hz=, "
                       "latency_ms=, power_mw= or battery_mah= + life_days=, or a requirements: block in model.yaml)")
    if (requirements.battery_mah is None) != (requirements.life_days is None):
        return Section(0, "requirements", "Requirements", WARN,
                       "battery_mah= and life_days= go together: the battery check is skipped", figures)
    return Section(0, "requirements", "Requirements", PASS, "given: " + ", ".join(
        f"{name}={value:g}" for name, value in given.items()), figures)
