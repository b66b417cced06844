"""The portal in a real headless Chromium at phone width: charts drawn, documents uploaded."""

import pytest
from django.core.files.storage import FileSystemStorage

from providers.models import ApplicationDocument, DocumentKind
from tests.browser.conftest import sign_in
from tests.factories import PDF_BYTES, ApplicationFactory, MembershipFactory, UserFactory
from tests.factories.providers import TEST_PASSWORD
from tests.portal.builders import scored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Pixels of a canvas that something was drawn on (alpha above zero).
DRAWN_PIXELS = """(selector) => {
  const canvas = document.querySelector(selector);
  if (!canvas) { return -1; }
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { drawn += 1; } }
  return drawn;
}"""


@pytest.fixture(autouse=True)
def private_storage(monkeypatch, tmp_path):
    field = ApplicationDocument._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=str(tmp_path / "private")))


def test_the_radar_and_trend_charts_are_drawn(page):
    membership = MembershipFactory()
    scored(membership.provider, months=2)
    sign_in(page, membership.user.username, TEST_PASSWORD)
    page.wait_for_url("**/portal/")
    page.click("nav.nav >> text=评分")
    page.wait_for_selector("#radar-chart[data-drawn=true] canvas")
    radar = page.evaluate(DRAWN_PIXELS, "#radar-chart canvas")
    assert radar > 2000, radar
    box = page.locator("#radar-chart canvas").bounding_box()
    assert 300 <= box["width"] <= 390  # fits the phone
    assert page.evaluate(DRAWN_PIXELS, "#trend-fulfillment canvas") > 500
    # the radar's numbers are on the page too, for readers without the chart
    assert page.locator("table.compact tbody tr").count() == 5


def test_an_applicant_uploads_a_document_and_a_wrong_file_is_refused(page):
    applicant = UserFactory(username="applicant-browser")
    application = ApplicationFactory(applicant=applicant)
    sign_in(page, applicant.username, TEST_PASSWORD)
    page.wait_for_url("**/portal/")
    page.goto(f"/portal/applications/{application.pk}/documents/")

    page.select_option("#id_kind", DocumentKind.BUSINESS_LICENCE)
    page.set_input_files(
        "#id_file",
        files=[{"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}],
    )
    with page.expect_navigation():
        page.click("#document-form button[type=submit]")
    assert page.locator("#documents").inner_text().count("营业执照.pdf") == 1
    assert "资质证明" in page.locator("#documents-missing").inner_text()

    page.select_option("#id_kind", DocumentKind.QUALIFICATION)
    page.set_input_files(
        "#id_file",
        files=[{"name": "资质.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"}],
    )
    with page.expect_navigation():
        page.click("#document-form button[type=submit]")
    assert "不是 PDF、JPEG 或 PNG 文件" in page.locator(".alert.error").inner_text()
    assert list(application.documents.values_list("original_name", flat=True)) == ["营业执照.pdf"]


def test_the_home_page_draws_the_providers_own_forecast_fan(page):
    from tests.browser.test_staff_dashboard import forecast_run
    from tests.funding.builders import YI_FEN, gmv_history
    from zaofeng.periods import previous_month

    membership = MembershipFactory()
    month = previous_month()
    gmv_history(membership.provider, monthly_net_fen=6 * YI_FEN // 100, last=month)
    forecast_run(month)
    sign_in(page, membership.user.username, TEST_PASSWORD)
    page.wait_for_url("**/portal/")
    page.wait_for_selector("#forecast [data-chart=fan][data-drawn=true] canvas")
    assert page.evaluate(DRAWN_PIXELS, "#forecast canvas") > 500
    # ¥7,200万 a year now: the next target is ¥1亿, with its probability and date written out
    reach = page.locator("#forecast-reach").inner_text()
    assert "2027-12-31" in reach
    assert "%" in reach
