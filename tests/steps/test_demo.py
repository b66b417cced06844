"""The demo's journeys advance, stall and fall back, and the assessment reads them exactly."""

from datetime import date

import pytest
from django.db.models import Min

from demo.services import demo_seed
from steps.models import ChannelFact, Direction, MerchantStage, StageAssessment, StageTransition
from steps.services.assessment import steps_assess
from zaofeng.periods import add_months

pytestmark = pytest.mark.django_db
END = date(2026, 10, 1)


def test_seeded_journeys_advance_stall_and_fall_back():
    demo_seed(providers=12, months=12, seed=2021, end_month=END)

    assert ChannelFact.objects.filter(month=END).count() == MerchantStage.objects.count() > 10
    directions = set(StageTransition.objects.values_list("direction", flat=True))
    assert directions == {Direction.FORWARD, Direction.BACKWARD}
    positions = set(MerchantStage.objects.values_list("position", flat=True))
    assert {0, 1, 5} <= positions
    assert MerchantStage.objects.filter(stuck=True).exists()
    assert MerchantStage.objects.filter(stuck=False, position__lt=5).exists()
    assert steps_assess(month=END, write=False).changed == 0


def _moves_of(path: list[int], start: date) -> list[tuple]:
    """The moves a path makes, by hand: each month whose stage differs from the month before."""
    moves, before = [], 0
    for index, position in enumerate(path):
        if position != before:
            direction = Direction.FORWARD if position > before else Direction.BACKWARD
            moves.append((add_months(start, index), before, position, direction))
        before = position
    return moves


def test_every_seeded_journey_gives_its_paths_exact_dates_and_times_in_stage(monkeypatch):
    """The demo draws a path per merchant; the assessment must find exactly that path: each
    move on its month, the current stage entered on the month the path last changed, and the
    months spent in it counted from there."""
    from demo import steps as demo_steps

    drawn = []
    original = demo_steps.path_for

    def recording(**kwargs):
        path = original(**kwargs)
        drawn.append(path)
        return path

    monkeypatch.setattr(demo_steps, "path_for", recording)
    demo_seed(providers=12, months=12, seed=2024, end_month=END)

    standings = {s.merchant_id: s for s in MerchantStage.objects.all()}
    firsts = dict(
        ChannelFact.objects.values_list("merchant_id").annotate(first=Min("month")).order_by()
    )
    assert len(drawn) == len(standings) == len(firsts) > 10
    paths = sorted(drawn, key=len)
    checked = 0
    for merchant_id, start in sorted(firsts.items()):
        positions = list(
            StageAssessment.objects.filter(merchant_id=merchant_id)
            .order_by("month")
            .values_list("position", flat=True)
        )
        assert positions in paths  # the assessment found a path the demo drew
        moves = list(
            StageTransition.objects.filter(merchant_id=merchant_id)
            .order_by("month")
            .values_list("month", "from_position", "to_position", "direction")
        )
        assert moves == _moves_of(positions, start)
        standing = standings[merchant_id]
        last_change = max(
            (index for index, p in enumerate(positions) if index == 0 or p != positions[index - 1]),
        )
        assert standing.position == positions[-1]
        assert standing.entered_on == add_months(start, last_change)
        assert standing.months_in_stage == len(positions) - last_change
        checked += 1
    assert checked == len(drawn)
    # Each drawn path was found once per merchant: the multiset of paths agrees.
    found = sorted(
        (
            list(
                StageAssessment.objects.filter(merchant_id=merchant_id)
                .order_by("month")
                .values_list("position", flat=True)
            )
            for merchant_id in firsts
        ),
        key=lambda path: (len(path), path),
    )
    assert found == sorted(drawn, key=lambda path: (len(path), path))
