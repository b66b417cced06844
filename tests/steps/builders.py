"""Many merchants on their stages, written in bulk (no history rows), for query-count tests."""

from datetime import date

from providers.models import Merchant, ServiceContract
from steps.models import MerchantStage, StageTransition
from steps.services.definitions import definition_published


def merchants_on_stages(*, provider, count: int, first_code: int) -> list[Merchant]:
    definition = definition_published()
    merchants = Merchant.objects.bulk_create(
        Merchant(code=f"M{first_code + n:06d}", name=f"品牌{first_code + n}", category="食品")
        for n in range(count)
    )
    ServiceContract.objects.bulk_create(
        ServiceContract(provider=provider, merchant=merchant, started_on=date(2024, 1, 1))
        for merchant in merchants
    )
    MerchantStage.objects.bulk_create(
        MerchantStage(
            merchant=merchant,
            definition=definition,
            position=n % 6,
            first_month=date(2025, 1, 1),
            last_month=date(2026, 10, 1),
            entered_on=date(2026, 1, 1),
            months_in_stage=10,
            last_progress_on=date(2026, 1, 1),
            months_without_progress=9 - n % 10,
            stuck=n % 6 < 5 and 9 - n % 10 >= 6,
            next_missing=[
                {
                    "stage": "public_traffic",
                    "input": "public_traffic_fen",
                    "operator": "gte",
                    "threshold": "10000000",
                    "observed": "2500000",
                    "ok": False,
                    "gap": "7500000",
                }
            ],
        )
        for n, merchant in enumerate(merchants)
    )
    StageTransition.objects.bulk_create(
        StageTransition(
            merchant=merchant,
            definition=definition,
            month=date(2026, 1, 1),
            from_position=0,
            to_position=n % 6,
            direction="forward",
        )
        for n, merchant in enumerate(merchants)
        if n % 6 and n % 50 == 1
    )
    return merchants
