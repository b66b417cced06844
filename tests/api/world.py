"""A small program for the API tests: two providers with data of every kind, and every role.

Provider A and provider B each have a member user, scores computed by the real scoring service,
an exit evaluation, a tier membership, an approved allocation with its ledger grant, a submitted
application and an import; the staff hold one role each.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection
from rest_framework.test import APIClient

from evaluations.models import EvaluationRun
from funding.models import Pool, PoolKind, Proposal, TierMembership
from funding.services.allocation import pool_save, proposal_approve
from integrations.services.api_keys import api_key_issue
from providers.models import Application, Provider
from providers.roles import Role
from providers.services.applications import application_submit
from scoring.models import Metric, MetricsImport, MetricValue
from scoring.services.scoring import scores_compute
from tests.factories import (
    ApplicationDocumentFactory,
    ApplicationFactory,
    EvaluationRunFactory,
    ExitEvaluationFactory,
    MembershipFactory,
    MerchantFactory,
    MetricsImportFactory,
    ProposalFactory,
    ProposalLineFactory,
    ProviderFactory,
    ServiceContractFactory,
    StaffProfileFactory,
    StaffUserFactory,
    tier,
)
from zaofeng.periods import add_months, format_month, previous_month

ANONYMOUS = "anonymous"
PROVIDER_A = "provider_a"
PROVIDER_B = "provider_b"
STAFF_ROLES = tuple(role.value for role in Role)
ROLES = (ANONYMOUS, PROVIDER_A, PROVIDER_B, *STAFF_ROLES)

# Values of a few metrics, enough for real scores with explanations and missing data.
METRIC_VALUES = {
    "shipment_48h_rate": Decimal("0.95"),
    "refund_rate": Decimal("0.05"),
    "live_hours": Decimal("220"),
    "ad_roi": Decimal("3.2"),
}


@dataclass
class ProviderData:
    provider: Provider
    user: object
    application: Application
    metrics_import: MetricsImport
    merchant_code: str


@dataclass
class World:
    month: object
    a: ProviderData
    b: ProviderData
    staff: dict[str, object] = field(default_factory=dict)
    run: EvaluationRun | None = None
    fund: object = None

    def user(self, role: str):
        if role == ANONYMOUS:
            return None
        if role == PROVIDER_A:
            return self.a.user
        if role == PROVIDER_B:
            return self.b.user
        return self.staff[role]

    def client(self, role: str) -> APIClient:
        client = APIClient()
        user = self.user(role)
        if user is not None:
            client.force_authenticate(user)
        return client

    def key_client(self, role: str, scopes) -> APIClient:
        """A client sending an API key of this role's user with these scopes."""
        user = self.user(role)
        issued = api_key_issue(name=f"{role} key", user=user, scopes=list(scopes), by=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.plaintext}")
        return client


def provider_with_data(
    *, month, name: str, code: str | None = None, merchant_code: str | None = None
) -> ProviderData:
    provider = ProviderFactory(name=name, **({"code": code} if code else {}))
    user = MembershipFactory(provider=provider).user
    merchant = MerchantFactory(**({"code": merchant_code} if merchant_code else {}))
    contract = ServiceContractFactory(provider=provider, merchant=merchant)
    metrics = {metric.key: metric for metric in Metric.objects.filter(key__in=METRIC_VALUES)}
    MetricValue.objects.bulk_create(
        MetricValue(provider=provider, metric=metrics[key], month=month, value=value)
        for key, value in METRIC_VALUES.items()
    )
    ExitEvaluationFactory(provider=provider, month=month)
    TierMembership.objects.create(
        provider=provider, tier=tier("tier_100m"), started_on=add_months(month, -3)
    )
    application = ApplicationFactory(applicant=user, provider=provider)
    ApplicationDocumentFactory(application=application)
    application_submit(application=application, by=user)
    metrics_import = MetricsImportFactory(provider=provider, uploaded_by=user)
    return ProviderData(
        provider=provider,
        user=user,
        application=application,
        metrics_import=metrics_import,
        merchant_code=contract.merchant.code,
    )


def world_build(codes: tuple[str, str] | None = None) -> World:
    """The world; with codes, its providers (and their merchants, M000001 and M000002) carry
    the codes the schema's examples name."""
    month = previous_month()
    code_a, code_b = codes or (None, None)
    world = World(
        month=month,
        a=provider_with_data(
            month=month, name="星火代运营", code=code_a, merchant_code=codes and "M000001"
        ),
        b=provider_with_data(
            month=month, name="山海直播基地", code=code_b, merchant_code=codes and "M000002"
        ),
        staff={role: StaffUserFactory(role=role, username=f"staff-{role}") for role in STAFF_ROLES},
    )
    # The region manager covers both providers' regions; the region rule itself is tested with
    # providers outside them in tests/staff and tests/api/test_region_scope.py.
    StaffProfileFactory(
        user=world.staff[Role.REGION_MANAGER.value],
        regions=list({world.a.provider.region, world.b.provider.region}),
    )
    scores_compute(month=month, provider_ids=[world.a.provider.pk, world.b.provider.pk])
    _approved_allocation(world)
    world.run = EvaluationRunFactory(kind="scoring", period=month)
    world.fund = _fund_with_a_deal(world)
    _uplift_study(world)
    return world


def _uplift_study(world: World):
    """A draft uplift study under the id the schema gives as its example."""
    from uplift.api import EXAMPLE_STUDY_ID
    from uplift.models import UpliftStudy

    UpliftStudy.objects.create(
        pk=EXAMPLE_STUDY_ID,
        title="资金效果研究",
        threshold_fen=1_000_000,
        window_start=add_months(world.month, -11),
        window_end=world.month,
        created_by=world.staff[Role.PROGRAM_ADMIN],
    )
    # The id was given, not drawn: move the sequence past it for the studies created after.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [UpliftStudy]):
            cursor.execute(statement)


def _fund_with_a_deal(world: World):
    """The fund under the id the schema gives as its example, with a deal on provider A."""
    from investments.api import EXAMPLE_FUND_ID
    from investments.models import Fund
    from investments.services.deals import deal_source

    fund = Fund.objects.create(
        pk=EXAMPLE_FUND_ID,
        name="造风者生态基金",
        committed_fen=100_000_000_000,
        vintage=2026,
        investment_period_ends_on=date(2031, 12, 31),
    )
    # The id was given, not drawn: move the sequence past it for the funds created after.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Fund]):
            cursor.execute(statement)
    deal_source(
        fund=fund,
        provider=world.a.provider,
        requested_amount_fen=5_000_000_000,
        by=world.staff[Role.INVESTMENT],
    )
    return fund


def _approved_allocation(world: World) -> Proposal:
    period = add_months(world.month, 1)
    pool = pool_save(pool=Pool(kind=PoolKind.FUND, period_start=period, total_amount=1_000_000_000))
    proposal = ProposalFactory(period_start=period, fund_pool=pool)
    for data in (world.a, world.b):
        ProposalLineFactory(proposal=proposal, provider=data.provider, tier=tier("tier_100m"))
    proposal_approve(proposal=proposal, by=world.staff[Role.FINANCE], key="world")
    return proposal


def metric_batch(provider: Provider, month, **overrides) -> dict:
    """A valid batch of metric values for one provider."""
    rows = [
        {
            "month": format_month(month),
            "provider_code": provider.code,
            "metric_key": key,
            "value": v,
        }
        for key, v in (("shipment_48h_rate", "0.97"), ("refund_rate", 0.02), ("live_hours", 300))
    ]
    return {"kind": "metrics", "rows": rows, **overrides}


def application_body(n: int = 1, **overrides) -> dict:
    from tests.factories.providers import _credit_code

    body = {
        "company_name": f"接口申请企业{n}",
        "legal_name": f"接口申请企业{n}有限公司",
        "credit_code": _credit_code(700_000 + n),
        "region": "east",
        "regions_served": ["east", "south"],
        "provider_types": ["store_operation"],
        "registered_on": "2019-03-15",
        "registered_capital_fen": 500_000_000,
        "team_size": 30,
        "served_gmv_12m_fen": 5_000_000_000,
        "introduction": "专注抖音电商代运营",
        "contact_name": "李娜",
        "contact_phone": "13900000000",
        "contact_email": f"api{n}@example.com",
        "declared_facts": {"brands_served": 6, "shipment_48h_rate": "0.96"},
    }
    body.update(overrides)
    return body
