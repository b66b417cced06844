import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from providers.roles import ROLE_GRANTS, Role, user_roles
from scoring.models import Metric
from tests.factories import (
    GmvFactFactory,
    MembershipFactory,
    MetricValueFactory,
    ProviderFactory,
    ServiceContractFactory,
    StaffUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_provider_code_and_credit_code_are_unique():
    provider = ProviderFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProviderFactory(code=provider.code)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProviderFactory(credit_code=provider.credit_code)


def test_a_user_belongs_to_at_most_one_provider():
    membership = MembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(user=membership.user)


def test_contract_cannot_end_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceContractFactory(
            started_on=datetime.date(2025, 1, 1), ended_on=datetime.date(2024, 12, 31)
        )


def test_metric_value_is_unique_per_provider_metric_and_month():
    value = MetricValueFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        MetricValueFactory(provider=value.provider, metric=value.metric, month=value.month)


def test_gmv_fact_is_unique_per_provider_merchant_and_month_and_derives_net():
    fact = GmvFactFactory(gross_gmv_fen=9_000_000_000, refund_fen=500_000_000)
    fact.refresh_from_db()
    assert fact.net_gmv_fen == 8_500_000_000
    with pytest.raises(IntegrityError), transaction.atomic():
        GmvFactFactory(provider=fact.provider, merchant=fact.merchant, month=fact.month)


def test_refunds_cannot_exceed_gross_gmv():
    with pytest.raises(IntegrityError), transaction.atomic():
        GmvFactFactory(gross_gmv_fen=100, refund_fen=101)


def test_catalogue_has_metrics_for_each_of_the_five_capabilities():
    capabilities = set(Metric.objects.values_list("capability", flat=True))
    assert capabilities == {
        "live_ops",
        "streamer_incubation",
        "fulfillment",
        "supply_chain",
        "traffic_marketing",
    }
    assert Metric.objects.get(key="refund_rate").higher_is_better is False


def test_every_role_group_exists_with_permissions_from_its_grants():
    for role in Role:
        group = Group.objects.get(name=role.group_name)
        assert ROLE_GRANTS[role]
        assert group.permissions.exists(), role
    auditor = Group.objects.get(name=Role.AUDITOR.group_name)
    assert not auditor.permissions.exclude(codename__startswith="view_").exists()
    finance = Group.objects.get(name=Role.FINANCE.group_name)
    assert not finance.permissions.filter(
        content_type__app_label="providers", codename__startswith="change_"
    ).exists()


def test_user_roles_follow_groups():
    assert user_roles(StaffUserFactory(role=Role.FINANCE)) == {Role.FINANCE}
    assert user_roles(UserFactory()) == set()
    assert user_roles(StaffUserFactory(is_superuser=True)) == set(Role)
