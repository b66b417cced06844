"""The demo's journeys advance, stall and fall back, and the assessment reads them exactly."""

from datetime import date

import pytest

from demo.services import demo_seed
from steps.models import ChannelFact, Direction, MerchantStage, StageTransition
from steps.services.assessment import steps_assess

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
