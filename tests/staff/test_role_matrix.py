"""Every staff URL against every role: the admin's lists and add pages, and the staff pages.

The expectations are written out by hand from the program's rules (issue 7), not derived from
providers/roles.py, so that a changed grant shows up here as a failing cell. A model newly
registered in the admin fails the matrix until its row is added below.
"""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from funding.models import PendingDemotion
from providers.roles import Role
from tests.factories import (
    AppealFactory,
    DecisionRecordFactory,
    MembershipFactory,
    ProviderFactory,
    RectificationPlanFactory,
    RegionFactory,
    StaffProfileFactory,
    StaffUserFactory,
    tier,
)
from tests.providers.flows import application_under_review

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

PROVIDERS = {
    "providers.appeal",
    "providers.application",
    "providers.criteriaset",
    "providers.decisionrecord",
    "providers.exitevaluation",
    "providers.membership",
    "providers.merchant",
    "providers.provider",
    "providers.providertype",
    "providers.rectificationplan",
    "providers.region",
    "providers.reviewtarget",
    "providers.servicecontract",
    "providers.staffprofile",
    "providers.violation",
    "providers.violationrevocation",
}
SCORING = {
    "scoring.gmvfact",
    "scoring.providermonth",
    "scoring.metric",
    "scoring.metricvalue",
    "scoring.metricsimport",
    "scoring.score",
    "scoring.scoringmodel",
}
FUNDING = {
    "funding.allocationpolicy",
    "funding.disbursementrequest",
    "funding.ledgerentry",
    "funding.pendingdemotion",
    "funding.pool",
    "funding.proposal",
    "funding.proposaledit",
    "funding.proposalline",
    "funding.tier",
    "funding.tierassessment",
    "funding.tierchange",
    "funding.tiermembership",
}
RISK = {
    "risk.clawbackproposal",
    "risk.riskdecision",
    "risk.riskruleset",
    "risk.risksignal",
}
STEPS = {
    "steps.channelfact",
    "steps.channelimport",
    "steps.merchantstage",
    "steps.stageassessment",
    "steps.stagedefinition",
    "steps.stagetransition",
}
EVALUATIONS = {"evaluations.evaluationresult", "evaluations.evaluationrun"}
NOTIFICATIONS = {"notifications.notification"}
PROGRAM = PROVIDERS | SCORING | STEPS | FUNDING | RISK | EVALUATIONS | NOTIFICATIONS
BEAT = {
    "django_celery_beat.clockedschedule",
    "django_celery_beat.crontabschedule",
    "django_celery_beat.intervalschedule",
    "django_celery_beat.periodictask",
    "django_celery_beat.solarschedule",
}
INTEGRATIONS = {"integrations.apikey", "integrations.idempotencyrecord"}
AUTH = {"auth.group", "auth.user"}
INVESTMENTS = {
    "investments.cashflow",
    "investments.committeereview",
    "investments.committeevote",
    "investments.deal",
    "investments.dealdecision",
    "investments.financinground",
    "investments.fund",
    "investments.termsheet",
    "investments.valuationmark",
}
# Added by the services or the staff pages, or (fees, distributions, exits, rounds) through
# an admin form that calls the service.
INVESTMENTS_ADD = {"investments.fund", "investments.cashflow", "investments.financinground"}
# Uplift studies are finance's and the program admins' (docs/uplift.md); the seeded truth is
# written by seed_demo only.
UPLIFT = {"uplift.upliftstudy", "uplift.seededtruth"}
# Lock-out records are a superuser's business; no role reads them.
AXES = {"axes.accessattempt", "axes.accessfailurelog", "axes.accesslog"}

LISTS = {
    Role.PROGRAM_ADMIN: PROGRAM | BEAT | INTEGRATIONS | AUTH | INVESTMENTS | UPLIFT,
    Role.REVIEWER: PROGRAM,
    Role.REGION_MANAGER: PROGRAM - NOTIFICATIONS - STEPS,
    Role.FINANCE: PROGRAM | UPLIFT,
    Role.AUDITOR: PROGRAM | BEAT | INTEGRATIONS | AUTH | INVESTMENTS,
    Role.INVESTMENT: PROGRAM | INVESTMENTS,
}

# Add pages a role may open. Records written only by services (decisions, scores, the ledger,
# proposals, runs …) have no add page for anyone.
ADD = {
    Role.PROGRAM_ADMIN: {
        "providers.application",
        "providers.criteriaset",
        "providers.membership",
        "providers.merchant",
        "providers.provider",
        "providers.providertype",
        "providers.region",
        "providers.reviewtarget",
        "providers.servicecontract",
        "providers.staffprofile",
        "providers.violation",
        "scoring.gmvfact",
        "scoring.metric",
        "scoring.metricvalue",
        "scoring.scoringmodel",
        "funding.allocationpolicy",
        "funding.disbursementrequest",
        "funding.pool",
        "funding.tier",
        *BEAT,
        "integrations.apikey",
        *INVESTMENTS_ADD,
        "uplift.upliftstudy",
    },
    Role.REVIEWER: {"providers.application", "providers.violation"},
    Role.REGION_MANAGER: {"providers.violation"},
    Role.FINANCE: {"funding.pool", "funding.disbursementrequest", "uplift.upliftstudy"},
    Role.AUDITOR: set(),
    Role.INVESTMENT: INVESTMENTS_ADD,
}


def _registered():
    return sorted(model._meta.label_lower for model in admin.site._registry)


def _url(label: str, page: str) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{page}")


@pytest.fixture
def users(db):
    south = RegionFactory(code="south")
    made = {role: StaffUserFactory(username=f"m-{role.value}", role=role) for role in Role}
    StaffProfileFactory(user=made[Role.REGION_MANAGER], regions=[south])
    return made


def test_the_matrix_covers_every_model_in_the_admin():
    known = PROGRAM | BEAT | INTEGRATIONS | AUTH | AXES | INVESTMENTS | UPLIFT
    assert set(_registered()) == known


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_admin_lists_open_to_exactly_the_roles_that_read_them(client, users, role):
    client.force_login(users[role])
    outcome = {label: client.get(_url(label, "changelist")).status_code for label in _registered()}
    expected = {label: 200 if label in LISTS[role] else 403 for label in _registered()}
    assert outcome == expected


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_admin_add_pages_open_to_exactly_the_roles_that_write(client, users, role):
    client.force_login(users[role])
    outcome, expected = {}, {}
    for label in _registered():
        try:
            url = _url(label, "add")
        except NoReverseMatch:
            continue
        outcome[label] = client.get(url).status_code
        expected[label] = 200 if label in ADD[role] else 403
    assert outcome == expected


def test_the_admin_index_lists_only_what_a_role_reads(client, users):
    client.force_login(users[Role.FINANCE])
    index = client.get(reverse("admin:index")).content.decode()
    assert "资源池" in index
    assert "API 密钥" not in index
    assert "周期性任务" not in index


STAFF_PAGES = [
    ("staff:dashboard", ()),
    ("staff:providers", ()),
    ("staff:provider", ("SP000777",)),
    ("staff:queues", ()),
    ("staff:queue", ("applications",)),
    ("staff:queue", ("warnings",)),
    ("staff:queue", ("appeals",)),
    ("staff:queue", ("demotions",)),
    ("risk-staff:queue", ()),
    ("staff:steps", ()),
]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_staff_page_opens_for_every_role(client, users, role):
    ProviderFactory(code="SP000777", region=RegionFactory(code="south"))
    client.force_login(users[role])
    statuses = {
        (name, args): client.get(reverse(name, args=args)).status_code for name, args in STAFF_PAGES
    }
    assert set(statuses.values()) == {200}, statuses


def test_staff_pages_send_strangers_to_sign_in_and_refuse_provider_users(client):
    provider = ProviderFactory(code="SP000777")
    for name, args in STAFF_PAGES:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    client.force_login(MembershipFactory(provider=provider).user)
    for name, args in STAFF_PAGES:
        assert client.get(reverse(name, args=args)).status_code == 403


def test_a_staff_flag_without_a_role_opens_nothing(client):
    user = get_user_model().objects.create_user("flag-only", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("staff:dashboard")).status_code == 403


# Decisions: who may post each one (403 for the others; the rest reach the service).
DECISIONS = {
    "decide_application": {Role.PROGRAM_ADMIN, Role.REVIEWER},
    "review_plan": {Role.PROGRAM_ADMIN, Role.REVIEWER},
    "decide_appeal": {Role.PROGRAM_ADMIN, Role.REVIEWER},
    "decide_demotion": {Role.PROGRAM_ADMIN},
    "decide_warning": {Role.PROGRAM_ADMIN, Role.REVIEWER, Role.REGION_MANAGER},
}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_decision_is_refused_to_the_roles_without_it(client, users, role):
    south = RegionFactory(code="south")
    warned = ProviderFactory(code="SP000778", region=south, status="warning")
    DecisionRecordFactory(provider=warned)
    objects = {
        "decide_application": application_under_review(
            reviewer=users[Role.REVIEWER], region=south
        ).pk,
        "review_plan": RectificationPlanFactory(decision__provider__region=south).pk,
        "decide_appeal": AppealFactory(decision__provider__region=south).pk,
        "decide_demotion": _pending_demotion(south).pk,
        "decide_warning": warned.code,
    }
    client.force_login(users[role])
    for name, allowed in DECISIONS.items():
        # An empty reason: allowed roles reach the form's refusal (302 back to the queue),
        # others are stopped before it (403). Nothing is decided either way.
        response = client.post(
            reverse(f"staff:{name}", args=[objects[name]]), {"decision": "x", "reason": ""}
        )
        assert response.status_code == (302 if role in allowed else 403), name


def _pending_demotion(region):
    return PendingDemotion.objects.create(
        provider=ProviderFactory(region=region),
        month="2026-09-01",
        from_tier=tier("tier_100m"),
        to_tier=tier("tier_50m"),
        trailing_net_gmv_fen=9_500_000_000,
        periods_below=2,
        reason="连续两期低于门槛",
    )
