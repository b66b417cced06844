from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from zaofeng.money import MoneyError, fen_to_yuan, format_count_cn, format_fen_cn, yuan_to_fen


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (865_000_000, "¥865万"),  # ¥8,650,000
        (32_000_000_000, "¥3.2亿"),  # ¥320,000,000
        (100_000_000_000, "¥10亿"),  # ¥1,000,000,000
        (102_000_000_000, "¥10.2亿"),
        (1_000_000, "¥1万"),
        (950_000, "¥9,500"),
        (12_345, "¥123.45"),
        (0, "¥0"),
        (-85_000_000_000, "-¥8.5亿"),
    ],
)
def test_format_fen_cn_reads_the_chinese_way(fen, shown):
    assert format_fen_cn(fen) == shown


def test_format_fen_cn_rounds_to_two_places_of_the_unit():
    assert format_fen_cn(123_456_789_000) == "¥12.35亿"


def test_format_count_cn_uses_wan_and_yi():
    assert format_count_cn(1_000_000_000) == "10亿"
    assert format_count_cn(35_000) == "3.5万"
    assert format_count_cn(999) == "999"


def test_yuan_to_fen_accepts_decimal_int_and_str():
    assert yuan_to_fen(Decimal("12.34")) == 1234
    assert yuan_to_fen(100) == 10_000
    assert yuan_to_fen("1,000,000") == 100_000_000
    assert fen_to_yuan(1234) == Decimal("12.34")


@pytest.mark.parametrize("bad", [1.5, "abc", "1.234", "NaN"])
def test_yuan_to_fen_refuses_floats_and_fractions_of_a_fen(bad):
    with pytest.raises(MoneyError):
        yuan_to_fen(bad)


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (865_000_000, "¥8.65M"),  # ¥865万
        (32_000_000_000, "¥320M"),  # ¥3.2亿
        (100_000_000_000, "¥1B"),  # ¥10亿
        (123_456_789_000, "¥1.23B"),
        (950_000, "¥9,500"),
        (99_999_900, "¥999,999"),
        (-85_000_000_000, "-¥850M"),
    ],
)
def test_format_fen_cn_reads_in_millions_and_billions_in_english(fen, shown):
    with translation.override("en"):
        assert format_fen_cn(fen) == shown
    with translation.override("zh-hans"):
        assert not set("MB") & set(format_fen_cn(fen))


def test_format_count_cn_in_english():
    with translation.override("en"):
        assert format_count_cn(1_000_000_000) == "1B"
        assert format_count_cn(8_500_000_000) == "8.5B"
        assert format_count_cn(35_000) == "35,000"
        assert format_count_cn(2_500_000) == "2.5M"


@pytest.mark.parametrize(
    ("source", "context", "zh", "en"),
    [
        ("{{ v|fen_cn }}", {"v": 865_000_000}, "¥865万", "¥8.65M"),
        ("{{ v|fen_cn }}", {"v": None}, "—", "—"),
        ("{{ v|count_cn }}", {"v": 500_000_000}, "5亿", "500M"),
        ("{{ v|score }}", {"v": Decimal("91.0800000000000")}, "91.08", "91.08"),
        ("{{ v|score }}", {"v": 90}, "90.00", "90.00"),
        ("{{ v|signed }}", {"v": Decimal("2.5")}, "+2.5", "+2.5"),
        ("{{ v|signed }}", {"v": Decimal("-1")}, "−1", "−1"),
        ("{{ v|signed }}", {"v": None}, "—", "—"),
    ],
)
def test_the_figure_filters_in_both_languages(source, context, zh, en):
    template = Template("{% load money portal %}" + source)
    for language, shown in (("zh-hans", zh), ("en", en)):
        with translation.override(language):
            assert template.render(Context(context)) == shown
