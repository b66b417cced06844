"""Admin pages under concurrent POSTs on PostgreSQL: a refusal is a message, never a 500."""

import threading

import pytest
from django.db import connections
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from funding.models import DisbursementRequest
from funding.services.ledger import EXCEEDS_AVAILABLE, reconciliation_check
from tests.factories import ProviderFactory
from tests.funding.builders import finance_user, grant, period_pool

# Committed transactions; tests/conftest.py restores the seeded tiers, policy and roles after each flush.
pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 20


def race_posts(clients, url, data):
    """POSTs from every client at the same moment, one thread and connection each."""
    barrier = threading.Barrier(len(clients))
    responses = [None] * len(clients)

    def run(index, client):
        try:
            barrier.wait()
            responses[index] = client.post(url, data)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def signed_in_clients(count):
    clients = []
    for index in range(count):
        client = Client(raise_request_exception=False)
        client.force_login(finance_user(f"finance-{index}"))
        clients.append(client)
    return clients


def test_twenty_admins_requesting_one_grant_at_once_get_no_500_and_no_overdraw():
    pool = period_pool(total=1_000_000_000)
    fund_grant = grant(pool, ProviderFactory(), 500_000)
    clients = signed_in_clients(CLIENTS)
    url = reverse("admin:funding_disbursementrequest_add")

    # Each asks for a fifth of the grant: five fit, fifteen must be told no.
    responses = race_posts(clients, url, {"grant": fund_grant.pk, "amount_fen": 100_000})

    codes = [response.status_code for response in responses]
    assert [code for code in codes if code >= 500] == []
    assert codes.count(302) == 5
    assert codes.count(200) == CLIENTS - 5
    requested = DisbursementRequest.objects.filter(grant=fund_grant)
    assert requested.count() == 5
    assert requested.aggregate(total=Sum("amount_fen"))["total"] == 500_000
    refused = [r.content.decode() for r in responses if r.status_code == 200]
    exceeded = str(EXCEEDS_AVAILABLE).split("{")[0]
    assert all(exceeded in page or "金额超过该授予可发放的余额" in page for page in refused)
    assert reconciliation_check().ok


def test_a_refusal_under_the_lock_shows_the_form_again_with_the_reason(monkeypatch):
    """The form's own check passes (it reads without a lock); the service then refuses."""
    from funding import forms

    pool = period_pool(total=1_000_000_000)
    fund_grant = grant(pool, ProviderFactory(), 500_000)
    (client,) = signed_in_clients(1)
    url = reverse("admin:funding_disbursementrequest_add")
    client.post(url, {"grant": fund_grant.pk, "amount_fen": 400_000})

    class Unlimited:
        available_to_request = 10**12

    monkeypatch.setattr(forms, "grant_position", lambda _grant: Unlimited())
    response = client.post(url, {"grant": fund_grant.pk, "amount_fen": 200_000, "note": "第二期"})

    page = response.content.decode()
    assert response.status_code == 200
    assert str(EXCEEDS_AVAILABLE).split("{")[0] in page
    assert "第二期" in page  # what was typed is still there
    assert DisbursementRequest.objects.filter(grant=fund_grant).count() == 1
