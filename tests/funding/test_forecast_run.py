"""The forecast run end to end: records, idempotent re-runs, the read path, scopes, targets."""

import math
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from evaluations.models import EvaluationRun, RunStatus
from funding.forecasting.selectors import program_forecast_view, provider_forecast_view
from funding.models import (
    TARGET_DATE_BEFORE_START,
    TARGET_DATE_NEEDED,
    TIER_100M,
    Forecast,
    ProviderForecast,
    Tier,
    default_target_date,
)
from providers.models import LifecycleStatus
from tests.factories import MembershipFactory, ProviderFactory, RegionFactory
from tests.factories.staff import region_manager
from tests.funding.builders import YI_FEN, M, finance_user, gmv_history
from tests.funding.forecasting.worlds import SEASON

pytestmark = pytest.mark.django_db


def seasonal(level_fen, growth, months=24, last=M):
    return [
        int(level_fen * growth**t * math.exp(SEASON[(last.month - months + t) % 12]))
        for t in range(months)
    ]


@pytest.fixture
def world():
    # Two regions (RegionFactory gets or creates by code: the code makes the second one).
    east = RegionFactory(code="east", name="华东")
    west = RegionFactory(code="west", name="华西", name_en="West China")
    providers = []
    for i in range(10):
        provider = ProviderFactory(region=east if i % 2 else west)
        gmv_history(
            provider,
            monthly_net_fen=seasonal(int(YI_FEN * (0.3 + 0.12 * i) / 12), 1.01 + 0.004 * i),
            months=24,
        )
        providers.append(provider)
    short = ProviderFactory(region=east)  # a new entrant with four months
    gmv_history(short, monthly_net_fen=[6 * YI_FEN // 100] * 4, months=4)
    gone = ProviderFactory(region=west, status=LifecycleStatus.EXITED)
    gmv_history(gone, monthly_net_fen=[YI_FEN] * 12, months=12)
    return {"east": east, "west": west, "providers": providers, "short": short, "gone": gone}


def test_the_program_targets_carry_a_date_editable_with_validation():
    tier = Tier.objects.get(code=TIER_100M)
    assert tier.target_date == default_target_date() == date(2027, 12, 31)
    tier.target_date = None
    with pytest.raises(ValidationError) as error:
        tier.full_clean()
    assert error.value.message_dict["target_date"] == [str(TARGET_DATE_NEEDED)]
    tier.target_date = date(2025, 6, 30)
    with pytest.raises(ValidationError) as error:
        tier.full_clean()
    assert error.value.message_dict["target_date"] == [
        str(TARGET_DATE_BEFORE_START).format(start="2026-01-01")
    ]
    tier.target_date = date(2027, 6, 30)
    tier.full_clean()
    tier.save()
    assert Tier.objects.get(code=TIER_100M).target_date == date(2027, 6, 30)


def test_a_run_stores_every_forecast_reruns_idempotently_and_reads_scoped(world, client):
    call_command("evaluate", kind="forecast", period="2026-09", inline=True, stdout=None)
    run = EvaluationRun.objects.get(kind="forecast")
    assert run.status == RunStatus.SUCCEEDED
    forecast = Forecast.objects.get()
    assert forecast.month == M
    horizon = forecast.inputs["horizon"]
    assert forecast.horizon_end.year == 2028  # past the 2027-12 target date
    rows = ProviderForecast.objects.filter(forecast=forecast)
    assert rows.count() == 12
    first = {r.provider_id: (r.quantiles, r.reach) for r in rows}
    assert all(len(r.quantiles) == horizon for r in rows)
    assert rows.get(provider=world["gone"]).model == "zero"
    assert rows.get(provider=world["short"]).history_months == 4
    assert forecast.backtest["scores"]  # stored with the run
    assert {s["name"] for s in forecast.backtest["scores"]} == {
        "model",
        "compound_growth",
        "seasonal_naive",
    }
    assert len(forecast.backtest["origins"]) == 6

    # a second run of the month replaces, it does not add
    call_command("evaluate", kind="forecast", period="2026-09", inline=True, stdout=None)
    assert Forecast.objects.count() == 1
    again = {r.provider_id: (r.quantiles, r.reach) for r in ProviderForecast.objects.all()}
    assert again == first

    # the program: the exited provider is not counted
    view = program_forecast_view(month=M)
    assert view.providers == 11
    target = next(t for t in view.targets if t.code == TIER_100M)
    assert len(target.expected) == horizon
    assert all(lo <= hi for lo, hi in zip(target.low, target.high, strict=True))
    assert target.verdict in {"on_track", "at_risk", "off_track"}
    assert view.backtest.origins == 6

    # a region manager's forecast holds only its providers
    manager = region_manager(world["east"])
    client.force_login(manager)
    body = client.get(reverse("funding-api:forecast"), {"month": "2026-09"}).json()
    east_ids = {p.pk for p in world["providers"] if p.region_id == world["east"].pk}
    east_ids.add(world["short"].pk)
    assert body["available"] is True
    assert body["providers"] == len(east_ids)
    assert {c["provider_id"] for c in body["next_to_cross"]} <= east_ids
    client.force_login(finance_user())
    body = client.get(reverse("funding-api:forecast"), {"month": "2026-09"}).json()
    assert body["providers"] == 11
    assert body["targets"][0]["target_date"] == "2027-12-31"

    # a provider's user reads its own forecast, and nobody else's
    own = world["providers"][9]
    member = MembershipFactory(provider=own).user
    client.force_login(member)
    url = reverse("funding-api:provider-forecast", args=[own.code])
    body = client.get(url).json()
    mine = provider_forecast_view(provider_id=own.pk, month=M)
    assert body["median"] == list(mine.median)
    assert body["low"][0] <= body["median"][0] <= body["high"][0]
    other = world["providers"][0]
    assert (
        client.get(reverse("funding-api:provider-forecast", args=[other.code])).status_code == 404
    )


def test_the_backtest_is_made_once_per_run_and_batching_changes_nothing(world, monkeypatch):
    from evaluations.models import RunTrigger
    from evaluations.services.runs import evaluation_start
    from funding.forecasting import backtest

    made = []
    real = backtest.backtest_run

    def counted(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(backtest, "backtest_run", counted)

    def stored():
        forecast = Forecast.objects.get()
        rows = {r.provider_id: (r.quantiles, r.reach, r.fit) for r in forecast.providers.all()}
        return forecast, rows

    run = evaluation_start(
        kind="forecast", month=M, trigger=RunTrigger.COMMAND, inline=True, batch_size=4
    )
    assert run.status == RunStatus.SUCCEEDED
    assert run.batches_total == 3
    assert len(made) == 1  # made when the run was planned; the three batches read it
    first, first_rows = stored()
    assert first.run_id == run.pk
    assert run.summary["forecast_id"] == first.pk
    assert len(first_rows) == 12

    # a rerun in other batches: one more backtest, the same figures for every provider
    again = evaluation_start(
        kind="forecast", month=M, trigger=RunTrigger.COMMAND, inline=True, batch_size=5
    )
    assert again.status == RunStatus.SUCCEEDED
    assert again.batches_total == 3
    assert len(made) == 2
    second, second_rows = stored()
    assert second.pk == first.pk
    assert second.run_id == again.pk
    assert (second.inputs, second.backtest, second.program) == (
        first.inputs,
        first.backtest,
        first.program,
    )
    assert second_rows == first_rows


def test_before_any_run_the_api_says_there_is_no_forecast(client):
    client.force_login(finance_user())
    body = client.get(reverse("funding-api:forecast")).json()
    assert body["available"] is False
    assert "forecast" in body["message"]


def test_the_admin_forecast_page_reads_the_stored_forecast(world, client):
    call_command("evaluate", kind="forecast", period="2026-09", inline=True, stdout=None)
    view = program_forecast_view(month=M)
    client.force_login(finance_user())
    response = client.get(reverse("admin:funding_allocationpolicy_forecast"), {"month": "2026-09"})
    assert response.status_code == 200
    assert response.context["forecast"] == view
    body = response.content.decode()
    assert 'id="forecast-none"' not in body
    for target in view.targets:
        row = body.split(f'data-code="{target.code}"', 1)[1].split("</tr>", 1)[0]
        assert (
            f"{target.expected_at_target:.0f}（{target.low_at_target}–{target.high_at_target}）"
            in row
        )
        assert target.target_date.isoformat() in row
    assert "回测（过去 6 个预测起点）" in body

    # A region manager's page holds its regions' providers only, labelled as a share.
    client.force_login(region_manager(world["east"]))
    response = client.get(reverse("admin:funding_allocationpolicy_forecast"), {"month": "2026-09"})
    assert response.status_code == 200
    east_ids = {p.pk for p in world["providers"] if p.region_id == world["east"].pk}
    east_ids.add(world["short"].pk)
    scoped = response.context["forecast"]
    assert scoped.providers == len(east_ids) < view.providers
    assert {c.provider_id for c in scoped.next_to_cross} <= east_ids
    assert "仅含您负责区域的服务商" in response.content.decode()


def test_the_program_forecast_reads_in_the_same_queries_however_many_providers_and_is_cached(
    world, settings
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("evaluate", kind="forecast", period="2026-09", inline=True, stdout=None)
    forecast = Forecast.objects.get()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            view = program_forecast_view(month=M)
        return len(captured), view

    few, view = queries()
    # Thirty more providers below the thresholds, each with a stored forecast like the first's:
    # their lifecycle field must not be read row by row.
    template = ProviderForecast.objects.filter(forecast=forecast).exclude(model="zero").first()
    for _ in range(30):
        ProviderForecast.objects.create(
            forecast=forecast,
            provider=ProviderFactory(),
            model=template.model,
            history_months=template.history_months,
            trailing_net_gmv_fen=template.trailing_net_gmv_fen,
            quantiles=template.quantiles,
            reach=template.reach,
            fit=template.fit,
        )
    many, _ = queries()
    assert many == few
    assert len(view.next_to_cross) > 0

    # With the read cache on, a second ask reads only the forecast's record.
    settings.READ_CACHE_SECONDS = 300
    cache.clear()
    first, cached = queries()
    second, again = queries()
    assert again == cached
    assert second < first
    assert second <= 3  # the forecast's record and the cache's version, not the providers


def test_a_region_managers_forecast_is_summed_from_the_runs_region_parts(world, monkeypatch):
    from funding.forecasting import program
    from funding.models import ForecastRegionCount

    call_command("evaluate", kind="forecast", period="2026-09", inline=True, stdout=None)
    forecast = Forecast.objects.get()
    parts = ForecastRegionCount.objects.filter(forecast=forecast)
    assert {p.region_id for p in parts} == {world["east"].pk, world["west"].pk}
    east_ids = {p.pk for p in world["providers"] if p.region_id == world["east"].pk}
    east_ids.add(world["short"].pk)

    # The parts, with no simulation at all; then the same scope simulated from the fits.
    real_count_paths = program.count_paths

    def no_simulation(*args, **kwargs):
        raise AssertionError("the region's counts should come from the stored parts")

    monkeypatch.setattr(program, "count_paths", no_simulation)
    from_parts = program_forecast_view(month=M, provider_ids=east_ids)
    monkeypatch.setattr(program, "count_paths", real_count_paths)
    parts.delete()
    simulated = program_forecast_view(month=M, provider_ids=east_ids)
    assert from_parts == simulated
    assert from_parts.providers == len(east_ids)

    # Part of a region is not a sum of parts: it is simulated, and counts only its providers.
    call_command("evaluate", kind="forecast", period="2026-09", inline=True, stdout=None)
    some = set(list(sorted(east_ids))[:3])
    assert program_forecast_view(month=M, provider_ids=some).providers == 3
