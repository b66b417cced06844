from fractions import Fraction

from funding.forecast import growth_to_ppm, quarterly_growth, trailing_projection


def test_growth_is_the_trailing_ratio_within_bounds():
    assert quarterly_growth(now_fen=120, quarter_ago_fen=100) == Fraction(6, 5)
    assert quarterly_growth(now_fen=1_000, quarter_ago_fen=100) == 2
    assert quarterly_growth(now_fen=10, quarter_ago_fen=100) == Fraction(1, 2)
    assert quarterly_growth(now_fen=500, quarter_ago_fen=0) == 1
    assert growth_to_ppm(Fraction(6, 5)) == 1_200_000


def test_projection_compounds_the_growth_and_rounds_down():
    # 120 × 1.2 = 144; × 1.2 = 172.8; 207.36; 248.832
    assert trailing_projection(provider_id=1, now_fen=120, quarter_ago_fen=100).projected_fen == (
        144,
        172,
        207,
        248,
    )
