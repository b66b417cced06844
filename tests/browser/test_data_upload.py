"""A slow upload shows its progress, and the page that answers keeps the data kind."""

import time

import pytest

from portal.views import data as data_views
from scoring.models import ImportStatus
from steps.models import ChannelImport
from tests.browser.conftest import sign_in
from tests.factories import MembershipFactory, MerchantFactory, ServiceContractFactory
from tests.factories.providers import TEST_PASSWORD
from zaofeng.periods import format_month, previous_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = (
    "month,merchant_code,streamer_distribution_yuan,public_traffic_yuan,self_broadcast_yuan,"
    "private_repurchase_yuan,channel_exclusive_yuan,repurchase_rate,self_broadcast_hours,"
    "distributing_streamers,exclusive_skus\n"
)


def test_a_slow_upload_shows_progress_then_the_report_with_the_kind_kept(page, monkeypatch):
    membership = MembershipFactory()
    ServiceContractFactory(provider=membership.provider, merchant=MerchantFactory(code="M310001"))
    real = data_views.data_file_import

    def slow(**kwargs):  # a file that takes a while to check
        time.sleep(3.5)
        return real(**kwargs)

    monkeypatch.setattr(data_views, "data_file_import", slow)
    sign_in(page, membership.user.username, TEST_PASSWORD)
    page.wait_for_url("**/portal/")
    page.goto("/portal/data/")
    assert page.locator("#upload-progress").is_hidden()

    page.select_option("#id_kind", "channels")
    row = f"{format_month(previous_month())},M310001,1000,2000,3000,0,0,0.2,40,12,0\n"
    page.set_input_files(
        "#id_file",
        files=[{"name": "channels.csv", "mimeType": "text/csv", "buffer": (HEADER + row).encode()}],
    )
    page.click("#upload-form button[type=submit]")

    page.wait_for_selector("#upload-progress[data-shown=true]", state="visible", timeout=6_000)
    assert "校验" in page.locator("#upload-progress").inner_text()
    page.wait_for_selector("#import-report", timeout=20_000)
    assert "已导入" in page.locator("#import-report").inner_text()
    assert page.locator("#id_kind").input_value() == "channels"
    assert ChannelImport.objects.get().status == ImportStatus.IMPORTED
