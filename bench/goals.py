"""How every benchmark ends: each goal it measures, the figure measured, the target beside it and
MET or MISSED, so that a run of `make bench` reads as a checklist of the hub's speed goals (README, "Benchmarks")."""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass

COMPARE = {"<": operator.lt, "<=": operator.le, ">=": operator.ge, "==": operator.eq}


@dataclass(frozen=True)
class Goal:
    name: str
    figure: float
    compare: str  # one of COMPARE: how the figure must stand to the target
    target: float
    unit: str = ""

    @property
    def met(self) -> bool:
        return not math.isnan(self.figure) and COMPARE[self.compare](self.figure, self.target)

    def line(self) -> str:
        measured = f"{_number(self.figure)}{self.unit}"
        target = f"{self.compare} {_number(self.target)}{self.unit}"
        return f"{self.name:<52} {measured:>12} {target:>12}  {'MET' if self.met else 'MISSED'}"


def _number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:g}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def print_goals(goals: list[Goal]) -> None:
    header = f"{'goal':<52} {'measured':>12} {'target':>12}  verdict"
    print(f"\n{header}\n{'-' * len(header)}")
    for goal in goals:
        print(goal.line())
