"""The scoring math, without a database: hand-computed examples and properties."""

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from scoring import rules
from scoring.rules import CohortDistribution, MetricRule

D = Decimal

SHIPMENT = MetricRule(
    "shipment_48h_rate",
    "48小时发货率",
    "fulfillment",
    D("0.4"),
    "linear",
    True,
    D("0.8"),
    D("0.98"),
)
REFUND = MetricRule(
    "refund_rate", "退款率", "fulfillment", D("0.2"), "linear", False, D("0.2"), D("0.03")
)
COMPLAINTS = MetricRule(
    "complaints_per_10k_orders",
    "万单投诉量",
    "fulfillment",
    D("0.25"),
    "linear",
    False,
    D("30"),
    D("3"),
)
CLAIMS = MetricRule(
    "trust_card_claims",
    "信任卡赔付次数",
    "fulfillment",
    D("0.15"),
    "linear",
    False,
    D("40"),
    D("5"),
)
FULFILLMENT = (SHIPMENT, REFUND, COMPLAINTS, CLAIMS)
STORE_OPERATION = {
    "live_ops": D("0.25"),
    "streamer_incubation": D("0.10"),
    "fulfillment": D("0.30"),
    "supply_chain": D("0.15"),
    "traffic_marketing": D("0.20"),
}


# ----------------------------------------------------------------------------------------------
# Hand-computed examples
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "floor", "target", "expected"),
    [
        ("0.95", "0.8", "0.98", "83.33"),  # 0.15 / 0.18 = 0.8333…
        ("0.8", "0.8", "0.98", "0"),  # at the floor
        ("0.7", "0.8", "0.98", "0"),  # below the floor: clamped
        ("0.98", "0.8", "0.98", "100"),  # at the target
        ("0.99", "0.8", "0.98", "100"),  # above the target: clamped
        ("0.1", "0.2", "0.03", "58.82"),  # lower is better: (0.1 − 0.2) / (0.03 − 0.2) = 0.5882…
        ("0.25", "0.2", "0.03", "0"),  # worse than the floor
        ("0.01", "0.2", "0.03", "100"),  # better than the target
        ("10", "30", "3", "74.07"),  # 20 / 27 = 0.7407…
        ("230", "60", "400", "50"),  # half-way
    ],
)
def test_linear_curve_hand_computed(value, floor, target, expected):
    assert rules.linear_score(D(value), floor=D(floor), target=D(target)) == D(expected)


def test_percentile_rank_hand_computed():
    cohort = CohortDistribution([D(40), D(20), D(10), D(20)])
    # (values below + half of the equal ones, self included) / n
    assert cohort.percentile(D(10), higher_is_better=True) == D("12.50")  # (0 + ½) / 4
    assert cohort.percentile(D(20), higher_is_better=True) == D("50.00")  # (1 + 2/2) / 4
    assert cohort.percentile(D(40), higher_is_better=True) == D("87.50")  # (3 + ½) / 4
    # Lower is better: the smallest value ranks highest.
    assert cohort.percentile(D(10), higher_is_better=False) == D("87.50")
    assert cohort.percentile(D(40), higher_is_better=False) == D("12.50")


def test_a_lone_provider_ranks_in_the_middle_of_its_cohort():
    assert CohortDistribution([D(7)]).percentile(D(7), higher_is_better=True) == D("50.00")


def test_capability_score_is_the_sum_of_rounded_weighted_parts():
    result = rules.capability_score(
        "fulfillment",
        FULFILLMENT,
        {
            "shipment_48h_rate": D("0.95"),
            "refund_rate": D("0.1"),
            "complaints_per_10k_orders": D(10),
        },
    )
    by_key = {part.key: part for part in result.parts}
    assert by_key["shipment_48h_rate"].score == D("83.33")
    assert by_key["shipment_48h_rate"].contribution == D("33.33")  # 0.4 × 83.33 = 33.332
    assert by_key["refund_rate"].contribution == D("11.76")  # 0.2 × 58.82 = 11.764
    assert by_key["complaints_per_10k_orders"].contribution == D("18.52")  # 0.25 × 74.07
    assert by_key["trust_card_claims"].score == 0
    assert by_key["trust_card_claims"].no_data
    assert result.no_data == ("trust_card_claims",)
    assert result.score == D("63.61")  # 33.33 + 11.76 + 18.52 + 0


def test_overall_score_weights_capabilities_by_provider_type():
    result = rules.overall_score(
        {
            "live_ops": D(80),
            "streamer_incubation": D(50),
            "fulfillment": D("63.61"),
            "supply_chain": D(70),
            "traffic_marketing": D(90),
        },
        STORE_OPERATION,
    )
    # 20 + 5 + 19.08 (0.3 × 63.61 = 19.083) + 10.5 + 18
    assert [part.contribution for part in result.parts] == [
        D("20.00"),
        D("5.00"),
        D("19.08"),
        D("10.50"),
        D("18.00"),
    ]
    assert result.score == D("72.58")


def test_percentile_metric_uses_its_cohort():
    rule = MetricRule("gmv_per_live_hour", "每小时直播成交额", "live_ops", D(1), "percentile", True)
    cohort = CohortDistribution([D(100), D(200), D(300), D(400)])
    result = rules.capability_score(
        "live_ops", (rule,), {"gmv_per_live_hour": D(300)}, {"gmv_per_live_hour": cohort}
    )
    assert result.score == D("62.50")  # (2 + ½) / 4
    assert result.parts[0].cohort_size == 4
    assert result.parts[0].cohort_best == D(400)


def test_how_to_rise_ranks_metrics_by_overall_points_gained():
    fulfillment = rules.capability_score(
        "fulfillment",
        FULFILLMENT,
        {
            "shipment_48h_rate": D("0.98"),  # 100 already
            "refund_rate": D("0.2"),  # 0
            "complaints_per_10k_orders": D(3),  # 100
            "trust_card_claims": D(40),  # 0
        },
    )
    weights = {"fulfillment": D(1)}
    steps = rules.rise_steps([fulfillment], weights)
    # refund: 0.2 × 100 = 20 points; claims: 0.15 × 100 = 15 points; the full ones are left out.
    assert [(step.key, step.gain, step.target_value) for step in steps] == [
        ("refund_rate", D("20.00"), D("0.03")),
        ("trust_card_claims", D("15.00"), D(5)),
    ]
    assert fulfillment.score == D("65.00")
    assert rules.steps_to_reach([fulfillment], weights, steps, D(80)) == 1
    assert rules.steps_to_reach([fulfillment], weights, steps, D("85.01")) == 2
    assert rules.steps_to_reach([fulfillment], weights, steps, D("100.01")) is None
    assert rules.steps_to_reach([fulfillment], weights, steps, D(60)) == 0


def test_curve_and_weight_problems_name_the_metric_and_the_total():
    wrong_way = MetricRule(
        "refund_rate", "退款率", "fulfillment", D(1), "linear", False, D("0.03"), D("0.2")
    )
    assert "退款率" in rules.curve_problem(wrong_way)
    assert rules.curve_problem(REFUND) is None
    no_bounds = MetricRule("ad_roi", "广告投放ROI", "traffic_marketing", D(1), "linear", True)
    assert "保底值和目标值" in rules.curve_problem(no_bounds)
    assert (
        rules.weights_problem("服务履约", [D("0.4"), D("0.5")])
        == "服务履约的权重合计为 0.9，应为 1"
    )
    assert rules.weights_problem("服务履约", [D("0.4"), D("0.6")]) is None


def test_number_text_drops_trailing_zeros():
    assert rules.number_text(D("72.50")) == "72.5"
    assert rules.number_text(D("90.00")) == "90"
    assert rules.number_text(D("0.400")) == "0.4"
    assert rules.number_text(D("0.00")) == "0"


# ----------------------------------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------------------------------
values = st.decimals(
    min_value=D(0), max_value=D(10_000), places=4, allow_nan=False, allow_infinity=False
)
weights = st.decimals(
    min_value=D(0), max_value=D(1000), places=4, allow_nan=False, allow_infinity=False
)


@st.composite
def linear_rules(draw):
    higher = draw(st.booleans())
    low, high = sorted(draw(st.lists(values, min_size=2, max_size=2, unique=True)))
    floor, target = (low, high) if higher else (high, low)
    return MetricRule("m", "m", "live_ops", D(1), "linear", higher, floor, target)


@given(rule=linear_rules(), value=values)
def test_linear_scores_stay_within_0_and_100(rule, value):
    assert D(0) <= rules.metric_score(rule, value) <= D(100)


@given(rule=linear_rules(), first=values, second=values)
def test_a_better_value_never_lowers_a_linear_score(rule, first, second):
    worse, better = sorted([first, second], reverse=not rule.higher_is_better)
    assert rules.metric_score(rule, worse) <= rules.metric_score(rule, better)


@given(others=st.lists(values, max_size=30), first=values, second=values, higher=st.booleans())
def test_a_better_value_never_lowers_a_percentile_score(others, first, second, higher):
    worse, better = sorted([first, second], reverse=not higher)
    worse_score = CohortDistribution([*others, worse]).percentile(worse, higher_is_better=higher)
    better_score = CohortDistribution([*others, better]).percentile(better, higher_is_better=higher)
    assert D(0) <= worse_score <= better_score <= D(100)


@given(raw=st.lists(weights, min_size=1, max_size=8))
def test_normalized_weights_sum_to_exactly_one(raw):
    normalized = rules.weights_normalize(dict(enumerate(raw)))
    assert sum(normalized.values()) == D(1)
    assert all(
        weight >= 0 and weight == weight.quantize(D("0.0001")) for weight in normalized.values()
    )
    assert rules.weights_problem("x", normalized.values()) is None


@given(raw=st.lists(weights, min_size=1, max_size=6), data=st.data())
def test_weighted_sums_with_weights_summing_to_one_stay_within_0_and_100(raw, data):
    normalized = list(rules.weights_normalize(dict(enumerate(raw))).values())
    scores = data.draw(
        st.lists(
            st.decimals(min_value=D(0), max_value=D(100), places=2),
            min_size=len(normalized),
            max_size=len(normalized),
        )
    )
    total = sum((rules.contribution(w, s) for w, s in zip(normalized, scores, strict=True)), D(0))
    assert D(0) <= total <= D(100)


@given(
    rule_list=st.lists(linear_rules(), min_size=1, max_size=4),
    data=st.data(),
)
def test_a_better_metric_value_never_lowers_capability_or_overall_score(rule_list, data):
    normalized = rules.weights_normalize({i: D(1) + i for i in range(len(rule_list))})
    metric_rules = [
        MetricRule(
            f"m{i}",
            f"m{i}",
            "live_ops",
            normalized[i],
            r.curve,
            r.higher_is_better,
            r.floor,
            r.target,
        )
        for i, r in enumerate(rule_list)
    ]
    current = {rule.key: data.draw(values) for rule in metric_rules}
    changed = data.draw(st.sampled_from(metric_rules))
    other = data.draw(values)
    improves = (
        other >= current[changed.key] if changed.higher_is_better else other <= current[changed.key]
    )
    assume(improves)
    before = rules.capability_score("live_ops", metric_rules, current)
    after = rules.capability_score("live_ops", metric_rules, {**current, changed.key: other})
    assert D(0) <= before.score <= after.score <= D(100)
    weights_by_capability = {"live_ops": D("0.6"), "fulfillment": D("0.4")}
    overall_before = rules.overall_score(
        {"live_ops": before.score, "fulfillment": D(50)}, weights_by_capability
    )
    overall_after = rules.overall_score(
        {"live_ops": after.score, "fulfillment": D(50)}, weights_by_capability
    )
    assert overall_before.score <= overall_after.score
    assert sum(part.contribution for part in overall_after.parts) == overall_after.score
