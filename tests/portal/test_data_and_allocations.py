"""Uploads of the provider's own monthly data, and the allocations page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from funding.models import PoolKind
from funding.services.ledger import (
    disbursement_approve,
    disbursement_pay,
    disbursement_request,
    grant_clawback,
)
from scoring.models import ImportStatus, MetricsImport, MetricValue
from tests.funding.builders import finance_user, grant, period_pool
from zaofeng.periods import add_months, format_month, previous_month

pytestmark = pytest.mark.django_db


def csv_file(provider_code, *rows, name="metrics.csv"):
    month = format_month(previous_month())
    lines = ["month,provider_code,metric_key,value"]
    lines += [f"{month},{code or provider_code},{key},{value}" for code, key, value in rows]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode())


def test_an_upload_of_the_providers_own_metrics_is_imported_and_listed(as_user, provider, operator):
    client = as_user(operator)
    upload = csv_file(provider.code, (None, "live_hours", "300"), (None, "refund_rate", "0.05"))
    response = client.post(reverse("portal:data"), {"kind": "metrics", "file": upload})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.status == ImportStatus.IMPORTED
    assert report.created == 2
    assert MetricValue.objects.filter(provider=provider).count() == 2
    record = MetricsImport.objects.get()
    assert record.provider == provider
    assert record.uploaded_by == operator
    history = client.get(reverse("portal:data")).context["history"]
    assert [r.pk for r in history] == [record.pk]


def test_a_refused_file_shows_the_line_by_line_error_table_and_imports_nothing(
    as_user, provider, owner, other_provider
):
    upload = csv_file(
        provider.code,
        (None, "live_hours", "300"),
        (None, "refund_rate", "1.5"),
        (other_provider.code, "ad_roi", "3"),
        (None, "no_such_metric", "1"),
    )
    response = as_user(owner).post(reverse("portal:data"), {"kind": "metrics", "file": upload})
    assert response.status_code == 422
    report = response.context["report"]
    assert report.status == ImportStatus.REFUSED
    assert [error.line for error in report.errors] == [3, 4, 5]
    page = response.content.decode()
    assert 'id="import-errors"' in page
    assert "只能上传本服务商的数据" in page
    assert "文件未导入任何数据" in page
    assert not MetricValue.objects.exists()
    # the refused upload is in the history, its error table kept
    record = MetricsImport.objects.get()
    detail = as_user(owner).get(reverse("portal:data_import", args=[record.pk]))
    assert detail.status_code == 200
    assert "只能上传本服务商的数据" in detail.content.decode()


def test_a_dry_run_validates_without_importing(as_user, provider, owner):
    upload = csv_file(provider.code, (None, "live_hours", "300"))
    response = as_user(owner).post(
        reverse("portal:data"), {"kind": "metrics", "file": upload, "dry_run": "on"}
    )
    assert response.context["report"].status == ImportStatus.VALIDATED
    assert not MetricValue.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [({"kind": "metrics"}, "file"), ({"kind": "payroll"}, "kind")],
)
def test_an_upload_form_without_a_file_or_with_an_unknown_kind_is_refused(
    as_user, owner, provider, data, field
):
    files = {} if field == "file" else {"file": csv_file(provider.code, (None, "live_hours", "1"))}
    response = as_user(owner).post(reverse("portal:data"), {**data, **files})
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not MetricsImport.objects.exists()


def test_the_allocations_page_gives_each_period_and_the_totals(as_user, provider, owner):
    finance = finance_user()
    last = previous_month()
    fund_now = period_pool(total=100_000_000, period_start=last)
    fund_before = period_pool(total=100_000_000, period_start=add_months(last, -1))
    traffic_now = period_pool(kind=PoolKind.TRAFFIC, total=10**9, period_start=last)
    g1 = grant(fund_now, provider, 2_000_000)
    grant(fund_before, provider, 1_000_000)
    grant(traffic_now, provider, 5_000_000)
    paid = disbursement_request(grant=g1, amount_fen=500_000, by=finance)
    disbursement_approve(request=paid, by=finance)
    disbursement_pay(request=paid, by=finance, reference="PAY-1")
    disbursement_request(grant=g1, amount_fen=300_000, by=finance)
    grant_clawback(grant=g1, amount=200_000, by=finance, reason="复核")

    response = as_user(owner).get(reverse("portal:allocations"))
    allocations = response.context["allocations"]
    assert [p.period_start for p in allocations.periods] == [last, add_months(last, -1)]
    now = allocations.periods[0]
    assert (now.fund.granted, now.fund.requested, now.fund.paid, now.fund.clawed_back) == (
        2_000_000,
        300_000,
        500_000,
        200_000,
    )
    assert now.traffic.granted == 5_000_000
    assert allocations.fund_total.granted == 3_000_000
    assert allocations.fund_total.net_granted == 2_800_000
    page = response.content.decode()
    assert "¥2.8万" in page  # net fund total
    assert "500万" in page  # impressions


def test_allocations_of_other_providers_are_not_shown(as_user, owner, other_provider):
    pool = period_pool(total=100_000_000, period_start=previous_month())
    grant(pool, other_provider, 7_777_700)
    allocations = as_user(owner).get(reverse("portal:allocations")).context["allocations"]
    assert allocations.periods == ()
    assert allocations.fund_total.granted == 0
