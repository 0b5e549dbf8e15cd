"""McNemar's test and the effect size, on counts worked out by hand."""

from __future__ import annotations

import math

import pytest

from lti_tool.outcomes.knowledge import PairCounts, effect_size, knowledge_change, mcnemar


def test_few_discordant_pairs_use_the_exact_binomial_test() -> None:
    # b = 1 right before only, c = 8 right after only: 9 discordant pairs (< 25).
    # Two-sided exact p = 2 · P(X ≤ 1), X ~ Binomial(9, 1/2)
    #                  = 2 · (C(9,0) + C(9,1)) / 2^9 = 2 · 10 / 512 = 0.0390625.
    method, statistic, p_value = mcnemar(1, 8)
    assert method == "exact binomial" and statistic is None
    assert p_value == pytest.approx(0.0390625, abs=1e-12)


def test_many_discordant_pairs_use_chi_square_with_continuity_correction() -> None:
    # b = 10, c = 30: χ² = (|10 − 30| − 1)² / 40 = 19² / 40 = 361 / 40 = 9.025.
    # One degree of freedom: p = P(|Z| > √9.025) = P(|Z| > 3.00416) = 2 · 0.001332 = 0.002664.
    method, statistic, p_value = mcnemar(10, 30)
    assert method == "chi-square, continuity corrected"
    assert statistic == pytest.approx(9.025)
    assert p_value == pytest.approx(0.002664, abs=2e-6)


def test_effect_size_is_the_log_odds_ratio_over_1_81() -> None:
    # OR = c / b = 8 / 1 = 8; d = ln 8 · √3/π = 2.07944 · 0.551329 = 1.14646.
    odds_ratio, d, corrected = effect_size(1, 8)
    assert (odds_ratio, corrected) == (8.0, False)
    assert d == pytest.approx(1.14646, abs=1e-5)
    assert d == pytest.approx(math.log(8) / 1.8138, abs=1e-3)  # the "/1.81" convention


def test_a_zero_cell_gets_half_a_pair_added() -> None:
    # b = 0, c = 4: OR = (4 + 0.5) / (0 + 0.5) = 9; d = ln 9 · 0.551329 = 1.21139.
    odds_ratio, d, corrected = effect_size(0, 4)
    assert corrected and odds_ratio == pytest.approx(9.0)
    assert d == pytest.approx(1.21139, abs=1e-5)


def test_the_report_line_of_a_cohort_of_twelve() -> None:
    # a = 2 right both, b = 1, c = 8, d = 1 wrong both: 12 pairs.
    counts = PairCounts()
    for right_before, right_after, times in ((1, 1, 2), (1, 0, 1), (0, 1, 8), (0, 0, 1)):
        for _ in range(times):
            counts = counts.add(bool(right_before), bool(right_after))
    change = knowledge_change(counts)
    assert change.computed and change.counts.pairs == 12
    assert change.percent_before == pytest.approx(25.0)  # (2 + 1) / 12
    assert change.percent_after == pytest.approx(250 / 3)  # (2 + 8) / 12 = 83.3 %
    assert change.p_value == pytest.approx(0.0390625)


def test_nothing_is_computed_below_the_minimum_number_of_pairs() -> None:
    counts = PairCounts(both_right=3, right_before_only=1, right_after_only=4, both_wrong=1)
    change = knowledge_change(counts)
    assert not change.computed and change.p_value is None and change.percent_after is None
    assert change.note == "not computed: 9 learner(s) answered both; 10 needed"
