import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from model_bakery import baker

from tests.factories import (
    AppealFactory,
    ApplicationFactory,
    DecisionRecordFactory,
    EvaluationResultFactory,
    ExitEvaluationFactory,
    GmvFactFactory,
    MembershipFactory,
    MetricsImportFactory,
    MetricValueFactory,
    NotificationFactory,
    ProposalLineFactory,
    ProviderFactory,
    RectificationPlanFactory,
    ScoreFactory,
    ServiceContractFactory,
    StaffProfileFactory,
    TierMembershipFactory,
    ViolationFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def populated():
    contract = ServiceContractFactory()
    MembershipFactory(provider=contract.provider)
    ViolationFactory(provider=contract.provider)
    GmvFactFactory(provider=contract.provider, merchant=contract.merchant)
    MetricValueFactory(provider=contract.provider)
    ScoreFactory(provider=contract.provider)
    # One record of each searchable lifecycle, funding and run model, so that every admin
    # search can be asked for a record it must find.
    provider = contract.provider
    ApplicationFactory(provider=provider)
    decision = DecisionRecordFactory(provider=provider)
    AppealFactory(decision=decision)
    ExitEvaluationFactory(provider=provider)
    RectificationPlanFactory()
    NotificationFactory()
    MetricsImportFactory(provider=provider)
    StaffProfileFactory()
    TierMembershipFactory(provider=provider)
    line = ProposalLineFactory(provider=provider)
    EvaluationResultFactory(provider=provider)
    # The rest through model_bakery, with the values their CHECK constraints and searches need.
    pool = line.proposal.fund_pool
    pool.name = "九月 激励资金池"
    pool.save(update_fields=["name"])
    line.proposal.approval_key = "approve-2026-09"
    line.proposal.save(update_fields=["approval_key"])
    month = datetime.date(2026, 9, 1)
    merchant = contract.merchant
    fund = baker.make("investments.Fund", name="生态基金一期", committed_fen=10**11)
    made = {
        "funding.TierAssessment": {"provider": provider, "month": month},
        "funding.TierChange": {"provider": provider},
        "funding.PendingDemotion": {"provider": provider, "month": month, "from_tier": line.tier},
        "funding.ProposalEdit": {"line": line, "reason": "调整额度"},
        "funding.DisbursementRequest": {
            "grant": baker.make(
                "funding.LedgerEntry", pool=pool, kind="grant", provider=provider, amount=100
            ),
            "amount_fen": 1,
            "payment_reference": "PAY-0001",
        },
        "investments.Deal": {"fund": fund, "provider": provider, "requested_amount_fen": 1},
        "risk.RiskSignal": {"provider": provider, "month": month},
        "steps.ChannelFact": {"merchant": merchant},
        "steps.MerchantStage": {"merchant": merchant},
        # Fixed positions: two random ones can be equal, which the table's CHECK refuses.
        "steps.StageTransition": {
            "merchant": merchant,
            "from_position": 1,
            "to_position": 2,
            "direction": "forward",
        },
        "steps.StageAssessment": {"merchant": merchant},
        "axes.AccessAttempt": {"username": "mallory"},
        "axes.AccessFailureLog": {"username": "mallory"},
        "integrations.ApiKey": {"name": "对接密钥"},
        "integrations.IdempotencyRecord": {"key": "key-0001", "endpoint": "/api/v1/providers/"},
    }
    for label, values in made.items():
        baker.make(apps.get_model(label), **values)


def _registered_models():
    return [model for model in admin.site._registry if model._meta.app_label not in {"auth"}]


@pytest.mark.parametrize("model", _registered_models(), ids=lambda m: m._meta.label)
def test_admin_changelist_add_and_change_pages_load(client, program_admin, populated, model):
    client.force_login(program_admin)
    meta = model._meta
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    response = client.get(changelist)
    assert response.status_code == 200
    model_admin = admin.site._registry[model]
    if model_admin.has_add_permission(_request(program_admin)):
        assert (
            client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add")).status_code == 200
        )
    instance = model._default_manager.first()
    if instance is not None:
        change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[instance.pk])
        assert client.get(change).status_code == 200


def test_admin_search_works_on_providers(client, program_admin, populated):
    wanted = ProviderFactory(name="搜索目标甲")
    ProviderFactory(name="别家乙")
    client.force_login(program_admin)
    response = client.get(reverse("admin:providers_provider_changelist"), {"q": "搜索目标"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [wanted]
    by_code = client.get(reverse("admin:providers_provider_changelist"), {"q": wanted.code})
    assert list(by_code.context["cl"].result_list) == [wanted]


@pytest.mark.parametrize(
    "model",
    [m for m in _registered_models() if admin.site._registry[m].get_search_fields(None)],
    ids=lambda m: m._meta.label,
)
def test_every_admin_search_answers_and_narrows(client, program_admin, populated, model):
    client.force_login(program_admin)
    meta = model._meta
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    response = client.get(changelist, {"q": "没有这样的记录zz"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    # And it finds: a record's own value in its first search field brings that record back.
    model_admin = admin.site._registry[model]
    queryset = model_admin.get_queryset(_request(program_admin))
    found = next(
        (
            (instance, term)
            for instance in queryset[:20]
            for term in [_search_term(instance, model_admin.get_search_fields(None))]
            if term
        ),
        None,
    )
    assert found is not None, f"the populated world holds no {meta.label} with a searchable value"
    instance, term = found
    response = client.get(changelist, {"q": term})
    assert response.status_code == 200
    assert instance.pk in {row.pk for row in response.context["cl"].result_list}, term


def _search_term(instance, search_fields) -> str:
    """The value of the first search field that has one on instance, as a user would type it."""
    for field in search_fields:
        value = instance
        for part in field.lstrip("^=@").split("__"):
            value = getattr(value, part, None)
            if value is None:
                break
        # The admin splits a query on spaces and wants every word in some field, so a value
        # with spaces finds its record too.
        text = str(value).strip() if value is not None else ""
        if text:
            return text
    return ""


def test_admin_speaks_chinese(client, program_admin):
    client.force_login(program_admin)
    response = client.get(reverse("admin:index"))
    assert "造风者计划" in response.content.decode()
    assert "服务商" in response.content.decode()


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request
