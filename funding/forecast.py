"""Quarterly GMV growth. No database access; exact fractions.

Growth is the ratio of the trailing-12-month net GMV now to the same figure three months earlier.
Both windows hold every season once, so 双11 and the Spring Festival do not masquerade as growth;
the ratio measures how the latest quarter compares with the same quarter a year earlier.

Two users: the allocation policy's growth weighting, and the forecast backtest, which compounds
the ratio quarter by quarter as the baseline the model must beat (funding.forecasting.backtest).
The program's forecast itself is the stored forecast run (funding.selectors.forecast).
"""

from fractions import Fraction

PPM = 1_000_000

# One extraordinary quarter should neither quadruple a projection nor wipe it out.
GROWTH_FLOOR = Fraction(1, 2)
GROWTH_CEILING = Fraction(2)


def quarterly_growth(*, now_fen: int, quarter_ago_fen: int) -> Fraction:
    """Trailing GMV now over trailing GMV three months ago, within [1/2, 2].

    Without GMV three months ago there is nothing to compare with: the growth is taken as 1 (flat).
    """
    if quarter_ago_fen <= 0:
        return Fraction(1)
    ratio = Fraction(max(now_fen, 0), quarter_ago_fen)
    return min(max(ratio, GROWTH_FLOOR), GROWTH_CEILING)


def growth_to_ppm(growth: Fraction) -> int:
    return growth.numerator * PPM // growth.denominator
