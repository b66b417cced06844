"""Small builders for funding tests: GMV histories, scores, pools and staff users."""

from datetime import date
from decimal import Decimal

from django.db import transaction

from funding.locks import pools_lock
from funding.models import EntryKind, LedgerEntry, PeriodKind, Pool, PoolKind, Tier, TierBudget
from funding.services.allocation import pool_save
from funding.services.ledger import ledger_append
from providers.roles import Role
from scoring.models import GmvFact
from scoring.services.rollup import provider_months_refresh
from tests.factories import MerchantFactory, ScoreFactory, StaffUserFactory
from zaofeng.periods import trailing_months

M = date(2026, 9, 1)  # the scenario's period
WAN_FEN = 10_000 * 100  # ¥1万 in fen
YI_FEN = 100_000_000 * 100  # ¥1亿 in fen


def gmv_history(provider, *, monthly_net_fen, last: date = M, months: int = 12, refund_fen=0):
    """Net GMV per month up to last: one amount for every month, or a list oldest first."""
    amounts = (
        list(monthly_net_fen)
        if isinstance(monthly_net_fen, list | tuple)
        else [monthly_net_fen] * months
    )
    merchant = MerchantFactory()
    GmvFact.objects.bulk_create(
        GmvFact(
            provider=provider,
            merchant=merchant,
            month=month,
            gross_gmv_fen=amount + refund_fen,
            refund_fen=refund_fen,
        )
        for month, amount in zip(trailing_months(last, len(amounts)), amounts, strict=True)
    )
    provider_months_refresh(
        pairs=[(provider.pk, month) for month in trailing_months(last, len(amounts))]
    )


def score(provider, scoring_model, value, month: date = M):
    return ScoreFactory(
        provider=provider, scoring_model=scoring_model, month=month, value=Decimal(str(value))
    )


def finance_user(name="finance-1"):
    return StaffUserFactory(username=name, role=Role.FINANCE)


def admin_user(name="admin-1"):
    return StaffUserFactory(username=name, role=Role.PROGRAM_ADMIN)


def period_pool(*, kind=PoolKind.FUND, total, budgets=None, period_start=M, period_kind=None):
    """A pool made through pool_save, with budgets {tier code: amount}."""
    pool = pool_save(
        pool=Pool(
            kind=kind,
            period_kind=period_kind or PeriodKind.MONTH,
            period_start=period_start,
            total_amount=total,
        )
    )
    for code, amount in (budgets or {}).items():
        TierBudget.objects.create(pool=pool, tier=Tier.objects.get(code=code), amount=amount)
    return pool


def grant(pool, provider, amount, *, key=None, tier=None):
    """A grant entered the way proposal_approve enters one."""
    with transaction.atomic():
        locked = pools_lock([pool.pk])[pool.pk]
        (entry,) = ledger_append(
            pool=locked,
            entries=[
                LedgerEntry(
                    kind=EntryKind.GRANT,
                    amount=amount,
                    provider=provider,
                    tier=tier,
                    idempotency_key=key,
                )
            ],
        )
    pool.refresh_from_db()
    return entry
