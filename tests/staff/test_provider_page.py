"""A provider's page tells its whole story on one timeline, with who decided and why; the audit
history of changes to its data comes from django-simple-history."""

from datetime import date

import pytest
from django.urls import reverse

from funding.models import (
    AllocationPolicy,
    EntryKind,
    LedgerEntry,
    Pool,
    Proposal,
    Tier,
    TierChange,
    TierChangeKind,
)
from providers.models import (
    Appeal,
    Application,
    ApplicationStatus,
    CriteriaSet,
    Criterion,
    DecisionAction,
    LifecycleStatus,
    StaffProfile,
)
from providers.roles import Role
from providers.services.appeals import appeal_decide, appeal_file
from providers.services.applications import (
    application_decide,
    application_review_start,
    application_submit,
)
from providers.services.lifecycle import provider_exit
from scoring.models import ScoreKind, ScoringModel, ScoringModelMetric
from scoring.selectors import latest_published_scoring_model
from staff.selectors.providers import Category, provider_timeline
from tests.factories import (
    ApplicationFactory,
    ScoreFactory,
    StaffUserFactory,
    UserFactory,
    ViolationFactory,
    tier,
)
from tests.funding.builders import grant, period_pool
from tests.providers.flows import documents_complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(db):
    return StaffUserFactory(username="story-reviewer", role=Role.REVIEWER)


@pytest.fixture
def story(reviewer, client):
    """A provider from its application to an upheld appeal, with tiers, scores and money."""
    applicant = UserFactory(username="story-applicant")
    application = ApplicationFactory(applicant=applicant, company_name="温州晨光服饰")
    documents_complete(application, by=applicant)
    application_submit(application=application, by=applicant)
    application_review_start(application=application, by=reviewer)
    application = application_decide(
        application=application, by=reviewer, approved=True, reason="材料齐全"
    )
    provider = application.provider
    ViolationFactory(provider=provider, evidence="直播间售假", points=12)
    exit_record = provider_exit(provider=provider, reason="售假，立即清退", by=reviewer)
    appeal = appeal_file(
        provider=provider, decision=exit_record, by=applicant, grounds="已提交品牌授权书"
    )
    appeal_decide(appeal=appeal, by=reviewer, upheld=True, reason="授权书真实，恢复合作")
    TierChange.objects.create(
        provider=provider,
        month=date(2026, 9, 1),
        kind=TierChangeKind.ENTERED,
        to_tier=tier("tier_100m"),
        reason="近12个月净成交额 ¥1.5亿 ≥ 门槛 ¥1亿，进入亿级服务商。",
        trailing_net_gmv_fen=15_000_000_000,
    )
    ScoreFactory(
        provider=provider,
        scoring_model=latest_published_scoring_model(),
        month=date(2026, 9, 1),
        kind=ScoreKind.OVERALL,
        value="72.50",
    )
    finance = StaffUserFactory(username="story-finance", role=Role.FINANCE)
    pool = period_pool(total=10_000_000, period_start=date(2026, 9, 1))
    grant(pool, provider, 2_000_000)
    # A staff correction of the contact, through the admin form, with django-simple-history.
    admin_user = StaffUserFactory(username="story-admin", role=Role.PROGRAM_ADMIN)
    client.force_login(admin_user)
    change = reverse("admin:providers_provider_change", args=[provider.pk])
    form = client.get(change).context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if key in form.fields and value is not None
    }
    data.update(
        {
            "provider_types": [t.pk for t in provider.provider_types.all()],
            "region": provider.region_id,
            "contact_phone": "13811112222",
            **_empty_inlines(),
        }
    )
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    client.logout()
    return {"provider": provider, "finance": finance, "application": application}


def _empty_inlines():
    data = {}
    for prefix in ("memberships", "contracts", "violations", "decisions"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": 0,
                f"{prefix}-INITIAL_FORMS": 0,
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
    return data


def test_the_timeline_holds_every_kind_of_event_with_who_and_why(story, reviewer):
    provider = story["provider"]
    timeline = provider_timeline(provider=provider)
    by_category = {}
    for entry in timeline:
        by_category.setdefault(entry.category, []).append(entry)
    assert set(by_category) >= {
        Category.APPLICATION,
        Category.LIFECYCLE,
        Category.APPEAL,
        Category.TIER,
        Category.SCORE,
        Category.ALLOCATION,
        Category.VIOLATION,
        Category.CHANGE,
    }
    approved = next(e for e in by_category[Category.APPLICATION] if "审核通过" in e.title)
    assert (approved.by, approved.reason) == ("story-reviewer", "材料齐全")
    exited = next(e for e in by_category[Category.LIFECYCLE] if e.title.startswith("清退"))
    assert exited.reason == "售假，立即清退"
    assert exited.by == "story-reviewer"
    upheld = next(e for e in by_category[Category.APPEAL] if "申诉成立" in e.title)
    assert "授权书真实" in upheld.reason
    filed = next(e for e in by_category[Category.APPEAL] if "提起申诉" in e.title)
    assert filed.by == "story-applicant"
    assert "亿级服务商" in by_category[Category.TIER][0].title
    assert "72.50" in by_category[Category.SCORE][0].title
    assert "¥2万" in by_category[Category.ALLOCATION][0].title
    assert by_category[Category.VIOLATION][0].reason == "直播间售假"


def test_the_audit_history_tells_who_changed_what(story):
    changes = [
        entry
        for entry in provider_timeline(provider=story["provider"])
        if entry.category == Category.CHANGE
    ]
    contact = next(entry for entry in changes if any("联系电话" in d for d in entry.details))
    assert contact.by == "story-admin"
    assert any("→ 13811112222" in detail for detail in contact.details)
    # Status changes are told by their decision records, not again as data changes.
    assert not any("生命周期状态" in detail for entry in changes for detail in entry.details)


def test_the_timeline_runs_newest_first(story):
    times = [entry.at for entry in provider_timeline(provider=story["provider"])]
    assert times == sorted(times, reverse=True)


def test_the_provider_page_shows_the_timeline_and_filters_it(client, story):
    provider = story["provider"]
    client.force_login(StaffUserFactory(username="story-auditor", role=Role.AUDITOR))
    url = reverse("staff:provider", args=[provider.code])
    page = client.get(url).content.decode()
    for text in ("售假，立即清退", "已提交品牌授权书", "亿级服务商", "72.50", "story-admin"):
        assert text in page
    only_tiers = client.get(url, {"category": "tier"}).content.decode()
    assert "亿级服务商" in only_tiers
    assert "售假，立即清退" not in only_tiers


def test_the_provider_page_links_to_the_admin_history(client, story):
    provider = story["provider"]
    client.force_login(StaffUserFactory(username="story-auditor-2", role=Role.AUDITOR))
    page = client.get(reverse("staff:provider", args=[provider.code])).content.decode()
    history = reverse("admin:providers_provider_history", args=[provider.pk])
    assert history in page
    listing = client.get(history).content.decode()
    assert "13811112222" in listing
    assert "story-admin" in listing


def test_history_pages_are_records_only(client, story):
    provider = story["provider"]
    client.force_login(StaffUserFactory(username="story-admin-2", role=Role.PROGRAM_ADMIN))
    record = provider.history.order_by("history_id").first()
    url = reverse("admin:providers_provider_simple_history", args=[provider.pk, record.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "改回旧名"}).status_code == 403
    provider.refresh_from_db()
    assert provider.name == "温州晨光服饰"


def test_program_data_now_keeps_its_history():
    """Tiers, policies, pools, criteria, scoring models, applications, appeals and the rest of
    the program's editable data record every change."""
    for model in (
        Tier,
        AllocationPolicy,
        Pool,
        Proposal,
        Application,
        Appeal,
        CriteriaSet,
        Criterion,
        ScoringModel,
        ScoringModelMetric,
        StaffProfile,
    ):
        assert hasattr(model, "history"), model
    policy = AllocationPolicy.objects.get(is_current=True)
    policy.notes = "调整说明"
    policy._change_reason = "季度复盘"
    policy.save()
    latest = policy.history.order_by("-history_id").first()
    assert (latest.notes, latest.history_change_reason) == ("调整说明", "季度复盘")


def test_an_approved_application_appears_with_its_number(story):
    application = story["application"]
    assert application.status == ApplicationStatus.APPROVED
    entries = provider_timeline(provider=story["provider"])
    assert any(application.number in detail for e in entries for detail in e.details)
    story["provider"].refresh_from_db()
    # The appeal put it back where the exit found it: in probation, as admitted.
    assert story["provider"].status == LifecycleStatus.PROBATION
    assert story["provider"].decisions.filter(action=DecisionAction.APPEAL_UPHELD).exists()
    assert LedgerEntry.objects.filter(kind=EntryKind.GRANT).count() == 1
