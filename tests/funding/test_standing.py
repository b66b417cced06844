"""Standing, one answer: funding's selector, the standing API, the staff provider page and the
portal home give the same tier, next tier, GMV and score lacking for the same provider and
month, on a world where a v2 scoring model was published after v1 scored the month."""

from decimal import Decimal

import pytest
from django.urls import reverse

from funding.selectors import next_tier_for
from funding.selectors.standing import provider_standing
from providers.models import LifecycleStatus, MembershipRole
from providers.roles import Role
from tests.factories import (
    MembershipFactory,
    ProviderFactory,
    ScoringModelFactory,
    StaffUserFactory,
    TierMembershipFactory,
    tier,
)
from tests.funding.builders import WAN_FEN, YI_FEN, gmv_history, score
from zaofeng.periods import previous_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    month = previous_month()
    v1 = ScoringModelFactory()
    provider = ProviderFactory(name="站位", status=LifecycleStatus.ACTIVE)
    gmv_history(provider, monthly_net_fen=1_000 * WAN_FEN, last=month)  # ¥1.2亿 trailing
    score(provider, v1, 66, month=month)
    TierMembershipFactory(provider=provider, tier=tier("tier_100m"), started_on=month)
    ScoringModelFactory()  # v2, published since, has not scored the month
    return provider, month


def test_the_selector_reads_the_one_overall_score_rule(world):
    provider, month = world
    standing = provider_standing(provider_id=provider.pk, month=month)
    assert standing.status == LifecycleStatus.ACTIVE
    assert standing.tier.code == "tier_100m"
    assert standing.overall_score == Decimal("66")  # v1's: v2 has not scored the month
    assert standing.next_tier.code == "tier_1b"
    assert standing.gmv_lacking_fen == tier("tier_1b").threshold_fen - 12 * YI_FEN // 10
    found = next_tier_for(provider_id=provider.pk, month=month)
    assert (found.code, found.gmv_lacking_fen, found.score_lacking) == (
        standing.next_tier.code,
        standing.gmv_lacking_fen,
        standing.score_lacking,
    )


def test_api_staff_page_and_portal_agree(client, world):
    provider, month = world
    standing = provider_standing(provider_id=provider.pk, month=month)

    owner = MembershipFactory(provider=provider, role=MembershipRole.OWNER).user
    client.force_login(owner)
    body = client.get(
        reverse("funding-api:provider-standing", args=[provider.code]), {"month": f"{month:%Y-%m}"}
    ).json()
    assert body["tier"]["code"] == "tier_100m"
    assert body["next_tier"]["code"] == standing.next_tier.code
    assert body["gmv_lacking_fen"] == standing.gmv_lacking_fen
    assert Decimal(body["overall_score"]) == standing.overall_score
    assert body["trailing_net_gmv_fen"] == standing.trailing_net_gmv_fen

    home = client.get(reverse("portal:home")).context["home"]
    assert home.tier.current.code == standing.tier.code
    assert home.tier.next_tier.code == standing.next_tier.code
    assert home.tier.gmv_gap_fen == standing.gmv_lacking_fen
    assert home.tier.trailing_net_gmv_fen == standing.trailing_net_gmv_fen

    client.force_login(StaffUserFactory(username="standing-auditor", role=Role.AUDITOR))
    page = client.get(reverse("staff:provider", args=[provider.code]))
    assert page.context["standing"] == standing
    assert 'id="standing"' in page.content.decode()


def test_another_providers_standing_is_a_404(client, world):
    provider, month = world
    client.force_login(MembershipFactory(provider=ProviderFactory()).user)
    response = client.get(reverse("funding-api:provider-standing", args=[provider.code]))
    assert response.status_code == 404
