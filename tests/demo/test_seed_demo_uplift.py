"""The demo's grants cause GMV by the shared form, and the truth is stored beside them."""

from datetime import date

import pytest

from demo.services import demo_seed
from funding.models import EntryKind, LedgerEntry
from uplift.models import SeededTruth, StudyStatus, UpliftStudy
from uplift.selectors import published_response_curves

END = date(2026, 10, 1)


@pytest.mark.django_db
def test_the_demo_stores_its_true_effect_and_a_published_study_that_finds_it():
    demo_seed(providers=120, months=18, seed=2021, end_month=END)
    truth = SeededTruth.objects.get(label="demo")
    assert truth.true_att > 0
    assert truth.treated_providers == (
        LedgerEntry.objects.filter(
            kind=EntryKind.GRANT, idempotency_key__startswith="demo-uplift:fund"
        )
        .values("provider")
        .distinct()
        .count()
    )
    study = UpliftStudy.objects.select_related("result").get(status=StudyStatus.PUBLISHED)
    result = study.result
    assert (study.window_start, study.window_end) == (truth.window_start, truth.window_end)
    # The estimate is within four standard errors of the seeded truth.
    assert abs(result.att - truth.true_att) < 4 * result.att_se
    assert result.treated_providers == truth.treated_providers
    assert published_response_curves() is not None
