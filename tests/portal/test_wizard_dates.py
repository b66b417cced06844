"""The company registration date survives the wizard's round trip in every language.

`<input type="date">` shows only an ISO value (yyyy-mm-dd); a date written the locale's way
(2019/03/15) leaves the field empty in the browser and the next step refused as required.
"""

import re

import pytest
from django.urls import reverse

from tests.factories import ApplicationFactory
from tests.portal.test_applications import company_data, step_url

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

DATE_INPUT = re.compile(r'<input type="date" name="registered_on" value="([^"]*)"')


def rendered_date(response) -> str:
    match = DATE_INPUT.search(response.content.decode())
    assert match, "no date input with a value for registered_on"
    return match.group(1)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_draft_shows_its_saved_registration_date_as_an_iso_date(
    as_user, applicant, language, settings
):
    draft = ApplicationFactory(applicant=applicant, created_by=applicant)
    client = as_user(applicant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get(step_url(draft, "company"))

    assert rendered_date(response) == draft.registered_on.isoformat()


def test_the_date_shown_when_going_back_to_step_one_is_accepted_as_posted(as_user, applicant):
    client = as_user(applicant)
    client.post(reverse("portal:application_new"), company_data(registered_on="2019-03-15"))

    back = client.get(reverse("portal:application_new"))
    value = rendered_date(back)
    assert value == "2019-03-15"

    # The browser posts back exactly what the input holds.
    response = client.post(reverse("portal:application_new"), company_data(registered_on=value))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:application_new_business")


def test_a_saved_draft_posted_back_as_shown_keeps_its_date(as_user, applicant):
    draft = ApplicationFactory(applicant=applicant, created_by=applicant)
    client = as_user(applicant)
    value = rendered_date(client.get(step_url(draft, "company")))

    response = client.post(
        step_url(draft, "company"),
        company_data(credit_code=draft.credit_code, registered_on=value, save_draft="1"),
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.registered_on.isoformat() == value
