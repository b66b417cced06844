"""GMV growth and the trailing-12-month projection. No database access; exact fractions.

Growth is the ratio of the trailing-12-month net GMV now to the same figure three months earlier.
Both windows hold every season once, so 双11 and the Spring Festival do not masquerade as growth;
the ratio measures how the latest quarter compares with the same quarter a year earlier. The
projection compounds that ratio quarter by quarter.
"""

from dataclasses import dataclass
from fractions import Fraction

PPM = 1_000_000

# One extraordinary quarter should neither quadruple a projection nor wipe it out.
GROWTH_FLOOR = Fraction(1, 2)
GROWTH_CEILING = Fraction(2)
QUARTERS_AHEAD = 4


@dataclass(frozen=True)
class Projection:
    """A provider's projected trailing-12-month net GMV at the end of each of the next quarters."""

    provider_id: int
    trailing_net_gmv_fen: int
    growth: Fraction
    projected_fen: tuple[int, ...]

    @property
    def growth_ppm(self) -> int:
        return growth_to_ppm(self.growth)


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


def trailing_projection(
    *, provider_id: int, now_fen: int, quarter_ago_fen: int, quarters: int = QUARTERS_AHEAD
) -> Projection:
    """Projects trailing GMV at 3, 6, 9 and 12 months ahead, rounding each figure down to a fen."""
    growth = quarterly_growth(now_fen=now_fen, quarter_ago_fen=quarter_ago_fen)
    base = max(now_fen, 0)
    projected = []
    for quarter in range(1, quarters + 1):
        value = base * growth**quarter
        projected.append(value.numerator // value.denominator)
    return Projection(provider_id, now_fen, growth, tuple(projected))
