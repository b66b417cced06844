from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from demo.services import demo_clear, demo_seed
from providers.models import Membership, Provider, Violation
from scoring.models import GmvFact, MetricValue
from scoring.selectors import trailing_net_gmv_fen
from steps.models import ChannelFact

pytestmark = pytest.mark.django_db

END = date(2026, 10, 1)


def _snapshot():
    return (
        list(
            Provider.objects.order_by("code").values_list(
                "code", "name", "credit_code", "status", "region__code"
            )
        ),
        list(
            GmvFact.objects.order_by("provider__code", "merchant__code", "month").values_list(
                "provider__code", "merchant__code", "month", "gross_gmv_fen", "refund_fen"
            )
        ),
        list(
            MetricValue.objects.order_by("provider__code", "metric__key", "month").values_list(
                "provider__code", "metric__key", "month", "value"
            )
        ),
        list(
            Violation.objects.order_by("provider__code", "occurred_on", "points").values_list(
                "provider__code", "kind", "points", "occurred_on"
            )
        ),
        list(
            ChannelFact.objects.order_by("merchant__code", "month").values_list(
                "merchant__code", "month", "public_traffic_fen", "repurchase_rate"
            )
        ),
    )


def test_same_seed_gives_the_same_data():
    demo_seed(providers=40, months=6, seed=7, end_month=END)
    first = _snapshot()
    demo_clear()
    demo_seed(providers=40, months=6, seed=7, end_month=END)
    assert _snapshot() == first


def test_another_seed_gives_other_data_with_the_same_codes():
    demo_seed(providers=40, months=6, seed=7, end_month=END)
    first = _snapshot()
    demo_clear()
    demo_seed(providers=40, months=6, seed=8, end_month=END)
    second = _snapshot()
    assert [row[0] for row in second[0]] == [row[0] for row in first[0]]
    assert second[1] != first[1]


def test_seed_demo_loads_once(capsys):
    call_command("seed_demo", "--providers", "20", "--months", "3", "--end-month", "2026-10")
    count = Provider.objects.count()
    call_command("seed_demo", "--providers", "20", "--months", "3", "--end-month", "2026-10")
    assert Provider.objects.count() == count == 20
    assert "already loaded" in capsys.readouterr().out


def test_demo_has_named_brands_users_and_a_heavy_tail():
    demo_seed(providers=60, months=12, seed=2021, end_month=END)
    users = set(get_user_model().objects.values_list("username", flat=True))
    assert {"admin", "reviewer", "finance", "provider1", "provider2"} <= users
    owners = dict(Membership.objects.values_list("user__username", "provider__code"))
    assert owners["provider1"] != owners["provider2"]
    koushuiwa = GmvFact.objects.filter(merchant__name="口水娃", month=END).get()
    assert koushuiwa.net_gmv_fen > 60_000_000 * 100  # the report: 月GMV突破6000万
    trailing = trailing_net_gmv_fen(month=END)
    at_1b = sum(value >= 1_000_000_000 * 100 for value in trailing.values())
    at_100m = sum(value >= 100_000_000 * 100 for value in trailing.values())
    assert at_1b >= 1
    assert at_100m > at_1b
    assert MetricValue.objects.values("metric__capability").distinct().count() == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--providers", "3"], "--providers"),
        (["--months", "0"], "--months"),
        (["--end-month", "2026-13"], "--end-month"),
    ],
)
def test_seed_demo_refuses_bad_arguments(args, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", *args)
    assert not Provider.objects.exists()


def test_seed_demo_reset_after_a_full_demo_with_approved_grants():
    """Decisions, tier changes and the ledger refuse DELETE in the database; --reset still
    empties the program's tables and loads the same demo again."""
    from funding.models import LedgerEntry, Proposal, ProposalStatus, TierChange
    from funding.services.allocation import proposal_approve
    from providers.models import DecisionRecord

    arguments = ["seed_demo", "--providers", "30", "--months", "6", "--end-month", "2026-10"]
    call_command(*arguments)
    first = _snapshot()
    decisions = DecisionRecord.objects.count()
    tier_changes = TierChange.objects.count()
    assert decisions
    assert tier_changes
    finance = get_user_model().objects.get(username="finance")
    proposal_approve(proposal=Proposal.objects.get(), by=finance, key="demo-approval")
    assert LedgerEntry.objects.exists()

    call_command(*arguments, "--reset")

    assert _snapshot() == first
    assert DecisionRecord.objects.count() == decisions
    assert TierChange.objects.count() == tier_changes
    assert not LedgerEntry.objects.exists()
    assert Proposal.objects.get().status == ProposalStatus.DRAFT
