from fractions import Fraction

from funding.forecast import growth_to_ppm, quarterly_growth


def test_growth_is_the_trailing_ratio_within_bounds():
    assert quarterly_growth(now_fen=120, quarter_ago_fen=100) == Fraction(6, 5)
    assert quarterly_growth(now_fen=1_000, quarter_ago_fen=100) == 2
    assert quarterly_growth(now_fen=10, quarter_ago_fen=100) == Fraction(1, 2)
    assert quarterly_growth(now_fen=500, quarter_ago_fen=0) == 1
    assert growth_to_ppm(Fraction(6, 5)) == 1_200_000
