"""What the endpoints answer: applications with their pre-screen, scores with explanations,
criteria results, tiers, money and runs; 400 for a malformed request, 409 for a refused one."""

from decimal import Decimal

import pytest

from evaluations.models import EvaluationRun
from integrations.models import ApiScope
from providers.models import Application, ApplicationStatus
from providers.services.applications import MESSAGE_OPEN_APPLICATION
from scoring.models import Score, ScoreKind
from tests.api.world import PROVIDER_A, PROVIDER_B, application_body, world_build
from tests.factories import ExitEvaluationFactory
from zaofeng.periods import add_months, format_month

pytestmark = pytest.mark.django_db

APPLICATIONS = "/api/v1/applications/"


@pytest.fixture
def world():
    return world_build()


# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------


def test_an_applicant_creates_then_submits_and_reads_its_pre_screen(world):
    client = world.client(PROVIDER_A)

    created = client.post(APPLICATIONS, application_body(), format="json")
    assert created.status_code == 201
    draft = created.json()
    assert (draft["status"], draft["prescreen_results"]) == ("draft", [])
    assert draft["regions_served"] == ["east", "south"]
    assert Application.objects.get(pk=draft["id"]).applicant == world.a.user

    submitted = client.post(f"{APPLICATIONS}{draft['id']}/submit/")
    assert submitted.status_code == 200
    body = submitted.json()
    assert body["status"] == ApplicationStatus.PRESCREENED
    rows = {row["input_name"]: row for row in body["prescreen_results"]}
    assert rows["team_size"]["passed"] is True
    assert rows["documents_complete"]["passed"] is False  # no documents sent
    # Judged by what a store operator is judged on, each row naming its type.
    assert rows["brands_served"]["passed"] is True
    assert rows["refund_rate"]["evaluated"] is False  # not declared
    assert {row["provider_type"] for row in body["prescreen_results"]} == {"store_operation"}
    assert body["prescreen_passed"] is False
    assert client.get(f"{APPLICATIONS}{draft['id']}/").json() == body


def test_staff_enter_an_application_without_an_applicant(world):
    response = world.client("reviewer").post(APPLICATIONS, application_body(), format="json")
    assert response.status_code == 201
    assert Application.objects.get(pk=response.json()["id"]).applicant is None


def test_submitting_twice_is_a_conflict(world):
    path = f"{APPLICATIONS}{world.a.application.pk}/submit/"
    response = world.client(PROVIDER_A).post(path)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "refused"


def test_a_company_already_applying_is_refused_naming_the_credit_code(world):
    credit_code = world.a.application.credit_code
    response = world.client(PROVIDER_B).post(
        APPLICATIONS, application_body(credit_code=credit_code), format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {
        "credit_code": [str(MESSAGE_OPEN_APPLICATION % {"number": world.a.application.number})]
    }


def test_a_wrong_check_character_is_refused_and_nothing_saved(world):
    count = Application.objects.count()
    body = application_body(credit_code="91330100000000000X")
    response = world.client(PROVIDER_A).post(APPLICATIONS, body, format="json")
    assert response.status_code == 409
    assert list(response.json()["error"]["fields"]) == ["credit_code"]
    assert Application.objects.count() == count


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"team_size": "30"}, "team_size"),
        ({"team_size": -1}, "team_size"),
        ({"region": "mars"}, "region"),
        ({"provider_types": []}, "provider_types"),
        ({"provider_types": ["store_operation", "spaceship"]}, "provider_types[1]"),
        ({"company_name": ""}, "company_name"),
        ({"company_name": 12}, "company_name"),
        ({"credit_code": "short"}, "credit_code"),
        ({"registered_on": "15/03/2019"}, "registered_on"),
    ],
)
def test_a_malformed_application_is_a_400_naming_the_field(world, change, field):
    count = Application.objects.count()
    response = world.client(PROVIDER_A).post(
        APPLICATIONS, application_body(**change), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Application.objects.count() == count


def test_a_missing_field_is_named(world):
    body = application_body()
    del body["contact_email"]
    response = world.client(PROVIDER_A).post(APPLICATIONS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["contact_email"]


def test_applications_filter_by_status(world):
    client = world.client("reviewer")
    assert client.get(APPLICATIONS, {"status": "prescreened"}).json()["count"] == 2
    assert client.get(APPLICATIONS, {"status": "approved"}).json()["count"] == 0
    assert client.get(APPLICATIONS, {"status": ""}).status_code == 400


# ------------------------------------------------------------------------------
# Scores and criteria results
# ------------------------------------------------------------------------------


def test_a_scorecard_explains_every_score_with_terms_that_sum_to_it(world):
    path = f"/api/v1/providers/{world.a.provider.code}/scores/"
    body = world.client(PROVIDER_A).get(path).json()

    assert body["month"] == format_month(world.month)
    assert body["scoring_model_version"] == 1
    assert [entry["kind"] for entry in body["scores"]] == list(ScoreKind.values)
    for entry in body["scores"]:
        terms = entry["explanation"]["terms"]
        assert sum(Decimal(term["contribution"]) for term in terms) == Decimal(entry["value"])
        assert entry["explanation"]["sentence"].startswith(entry["label"])
    stored = Score.objects.get(provider=world.a.provider, month=world.month, kind="overall")
    assert Decimal(body["scores"][-1]["value"]) == stored.value
    assert "gmv_per_live_hour" in body["no_data"]
    assert body["rise_plan"]
    assert body["standing"]["cohort_size"] == 2


def test_a_month_without_scores_has_an_empty_scorecard(world):
    path = f"/api/v1/providers/{world.a.provider.code}/scores/"
    body = world.client(PROVIDER_A).get(path, {"month": "2020-01"}).json()
    assert (body["scores"], body["scoring_model_version"], body["standing"]) == ([], None, None)


def test_a_bad_month_is_a_400_naming_it(world):
    path = f"/api/v1/providers/{world.a.provider.code}/scores/"
    response = world.client(PROVIDER_A).get(path, {"month": "2026-13"})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["month"]


def test_scores_filter_by_kind_month_and_provider(world):
    client = world.client("auditor")
    rows = client.get(
        "/api/v1/scores/",
        {"kind": "overall", "month": format_month(world.month), "provider": world.b.provider.code},
    ).json()["results"]
    assert [(row["provider_code"], row["kind"]) for row in rows] == [
        (world.b.provider.code, "overall")
    ]


def test_criteria_results_show_each_criterion_as_judged(world):
    results = [
        {
            "criteria_set_version": 1,
            "input_name": "complaints_per_10k_orders",
            "operator": "lte",
            "level": "warning",
            "threshold": "25",
            "observed": "31",
            "threshold_display": "≤ 25",
            "observed_display": "31",
            "passed": False,
            "evaluated": True,
            "reason": "每万单投诉数：实际 31，要求 ≤ 25，未通过。",
            "sentence": "每万单投诉不超过25",
            "sentence_en": "At most 25 complaints per 10,000 orders",
        }
    ]
    ExitEvaluationFactory(
        provider=world.a.provider,
        month=add_months(world.month, -1),
        verdict="warning",
        results=results,
    )
    path = f"/api/v1/providers/{world.a.provider.code}/criteria-results/"
    body = world.client(PROVIDER_A).get(path, {"verdict": "warning"}).json()
    assert body["count"] == 1
    assert body["results"][0]["results"] == results
    assert body["results"][0]["month"] == format_month(add_months(world.month, -1))


# ------------------------------------------------------------------------------
# Tiers, money, progress
# ------------------------------------------------------------------------------


def test_tiers_list_the_targets(world):
    rows = world.client(PROVIDER_A).get("/api/v1/tiers/").json()["results"]
    assert [(row["code"], row["target_count"]) for row in rows][:2] == [
        ("tier_1b", 100),
        ("tier_100m", 200),
    ]


def test_memberships_as_of_a_month_before_they_began_are_empty(world):
    client = world.client("region_manager")
    assert client.get("/api/v1/tiers/memberships/").json()["count"] == 2
    before = format_month(add_months(world.month, -6))
    assert client.get("/api/v1/tiers/memberships/", {"month": before}).json()["count"] == 0


def test_a_provider_sees_only_approved_allocations(world):
    from tests.factories import ProposalFactory, ProposalLineFactory

    draft = ProposalFactory(period_start=add_months(world.month, 3))
    ProposalLineFactory(proposal=draft, provider=world.a.provider)
    own = world.client(PROVIDER_A).get("/api/v1/allocations/").json()["results"]
    every = world.client("finance").get("/api/v1/allocations/", {"status": "draft"}).json()
    assert {row["proposal_status"] for row in own} == {"approved"}
    assert every["count"] == 1


def test_ledger_entries_carry_amounts_in_fen(world):
    rows = world.client("auditor").get("/api/v1/ledger/", {"kind": "grant"}).json()["results"]
    assert {row["amount"] for row in rows} == {10_000_000}
    assert {row["pool_kind"] for row in rows} == {"fund"}


def test_progress_is_at_its_new_path_and_the_old_one(world):
    client = world.client("finance")
    new = client.get("/api/v1/program/progress/", {"month": format_month(world.month)})
    old = client.get("/api/v1/funding/progress/", {"month": format_month(world.month)})
    assert new.status_code == old.status_code == 200
    assert new.json() == old.json()
    assert (new.json()["target_1b"], new.json()["target_100m"]) == (100, 200)


# ------------------------------------------------------------------------------
# Evaluation runs
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [([ApiScope.READ], 403), ([ApiScope.INGEST], 403), ([ApiScope.EVALUATE], 202)],
)
def test_starting_a_run_needs_the_evaluate_scope(world, scopes, expected):
    client = world.key_client("program_admin", scopes)
    body = {"kind": "deadlines", "period": format_month(add_months(world.month, -2))}
    response = client.post("/api/v1/evaluation-runs/", body, format="json")
    assert response.status_code == expected
    assert EvaluationRun.objects.filter(kind="deadlines").exists() == (expected == 202)


def test_a_future_month_is_refused_with_a_409(world):
    future = format_month(add_months(world.month, 3))
    response = world.client("program_admin").post(
        "/api/v1/evaluation-runs/", {"kind": "scoring", "period": future}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "refused"


def test_runs_filter_by_status_and_refuse_a_blank_filter(world):
    client = world.client("auditor")
    assert client.get("/api/v1/evaluation-runs/", {"status": "succeeded"}).json()["count"] == 1
    assert client.get("/api/v1/evaluation-runs/", {"status": "running"}).json()["count"] == 0
    assert client.get("/api/v1/evaluation-runs/", {"kind": ""}).status_code == 400


def test_a_provider_key_reads_only_its_own_provider(world):
    client = world.key_client(PROVIDER_A, [ApiScope.READ])
    assert client.get(f"/api/v1/providers/{world.a.provider.code}/scores/").status_code == 200
    assert client.get(f"/api/v1/providers/{world.b.provider.code}/scores/").status_code == 404
    rows = client.get("/api/v1/ledger/").json()["results"]
    assert {row["provider_code"] for row in rows} == {world.a.provider.code}


def test_an_applicant_without_a_provider_reads_only_its_own_applications(world):
    from rest_framework.test import APIClient

    from tests.factories import UserFactory

    first, second = APIClient(), APIClient()
    first.force_authenticate(UserFactory())
    second.force_authenticate(UserFactory())
    created = first.post(APPLICATIONS, application_body(41), format="json").json()

    assert [row["id"] for row in first.get(APPLICATIONS).json()["results"]] == [created["id"]]
    assert second.get(APPLICATIONS).json()["count"] == 0
    assert second.get(f"{APPLICATIONS}{created['id']}/").status_code == 404
    assert second.post(f"{APPLICATIONS}{created['id']}/submit/").status_code == 404
    # Reading providers' data needs a provider: an applicant has none.
    assert second.get("/api/v1/scores/").status_code == 403
