"""Knowledge change on items asked before and after: paired counts, McNemar's test and the
effect size CME outcomes reports use. Plain Python, no I/O.

For each learner who answered a pre-test item and the post-test item it repeats
(``same_as``), the pair is one of four cells:

    a: right before and after        b: right before, wrong after
    c: wrong before, right after      d: wrong before and after

- **McNemar's test** looks only at the discordant pairs (b, c). With fewer than
  ``EXACT_BELOW`` discordant pairs the exact two-sided binomial test is used (the chi-square
  approximation is poor there); otherwise the chi-square statistic with continuity
  correction, (|b − c| − 1)² / (b + c), on one degree of freedom (McNemar 1947; Edwards 1948).
- **Effect size**: the paired odds ratio OR = c / b, turned into Cohen's d by
  d = ln(OR) · √3 / π ≈ ln(OR) / 1.81 (Chinn 2000, Statistics in Medicine 19:3127), the
  convention in CME outcomes reporting. A zero cell gets 0.5 added to b and c
  (Haldane–Anscombe correction) so the ratio stays finite; the report says so.
- Nothing is computed below ``MIN_PAIRS`` learners with both answers: a handful of pairs
  gives percentages that swing with one learner, and they could identify learners.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_PAIRS = 10
EXACT_BELOW = 25
_LOGIT_TO_D = math.sqrt(3) / math.pi  # 1 / 1.8138


@dataclass(frozen=True)
class PairCounts:
    both_right: int = 0  # a
    right_before_only: int = 0  # b
    right_after_only: int = 0  # c
    both_wrong: int = 0  # d

    @property
    def pairs(self) -> int:
        return self.both_right + self.right_before_only + self.right_after_only + self.both_wrong

    def add(self, right_before: bool, right_after: bool) -> PairCounts:
        return PairCounts(
            self.both_right + (right_before and right_after),
            self.right_before_only + (right_before and not right_after),
            self.right_after_only + (right_after and not right_before),
            self.both_wrong + (not right_before and not right_after),
        )

    def __add__(self, other: PairCounts) -> PairCounts:
        return PairCounts(
            self.both_right + other.both_right,
            self.right_before_only + other.right_before_only,
            self.right_after_only + other.right_after_only,
            self.both_wrong + other.both_wrong,
        )


@dataclass(frozen=True)
class KnowledgeChange:
    """What the report prints for one item or objective."""

    counts: PairCounts
    computed: bool
    percent_before: float | None = None
    percent_after: float | None = None
    method: str = ""  # "exact binomial" | "chi-square, continuity corrected"
    statistic: float | None = None  # chi-square (None for the exact test)
    p_value: float | None = None
    odds_ratio: float | None = None
    effect_size_d: float | None = None
    zero_cell_corrected: bool = False
    note: str = ""


def mcnemar(b: int, c: int) -> tuple[str, float | None, float]:
    """(method, chi-square statistic or None, two-sided p) for discordant counts b, c."""
    discordant = b + c
    if discordant == 0:
        return "exact binomial", None, 1.0
    if discordant < EXACT_BELOW:
        tail = sum(math.comb(discordant, k) for k in range(min(b, c) + 1)) / 2**discordant
        return "exact binomial", None, min(1.0, 2 * tail)
    statistic = (abs(b - c) - 1) ** 2 / discordant
    # Survival function of chi-square with one degree of freedom.
    return "chi-square, continuity corrected", statistic, math.erfc(math.sqrt(statistic / 2))


def effect_size(b: int, c: int) -> tuple[float, float, bool]:
    """(paired odds ratio c/b, d = ln(OR)/1.81, whether 0.5 was added to b and c)."""
    corrected = b == 0 or c == 0
    before, after = (b + 0.5, c + 0.5) if corrected else (float(b), float(c))
    odds_ratio = after / before
    return odds_ratio, math.log(odds_ratio) * _LOGIT_TO_D, corrected


def knowledge_change(counts: PairCounts, min_pairs: int = MIN_PAIRS) -> KnowledgeChange:
    if counts.pairs < min_pairs:
        return KnowledgeChange(
            counts,
            computed=False,
            note=f"not computed: {counts.pairs} learner(s) answered both; {min_pairs} needed",
        )
    b, c = counts.right_before_only, counts.right_after_only
    method, statistic, p_value = mcnemar(b, c)
    odds_ratio, d, corrected = effect_size(b, c)
    return KnowledgeChange(
        counts,
        computed=True,
        percent_before=100 * (counts.both_right + b) / counts.pairs,
        percent_after=100 * (counts.both_right + c) / counts.pairs,
        method=method,
        statistic=statistic,
        p_value=p_value,
        odds_ratio=odds_ratio,
        effect_size_d=d,
        zero_cell_corrected=corrected,
    )
