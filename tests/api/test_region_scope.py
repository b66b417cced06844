import pytest
from rest_framework.test import APIClient

from tests.factories import ProviderFactory, RegionFactory, region_manager

pytestmark = pytest.mark.django_db


def test_a_region_manager_reads_only_the_providers_of_its_regions():
    east = RegionFactory(code="east")
    south = RegionFactory(code="south", name="华南", name_en="South China")
    mine = ProviderFactory(region=east)
    other = ProviderFactory(region=south)
    client = APIClient()
    client.force_authenticate(region_manager(east))
    listed = [row["code"] for row in client.get("/api/v1/providers/").json()["results"]]
    assert listed == [mine.code]
    assert client.get(f"/api/v1/providers/{mine.code}/").status_code == 200
    assert client.get(f"/api/v1/providers/{other.code}/").status_code == 404
    assert client.get(f"/api/v1/providers/{other.code}/scores/").status_code == 404
