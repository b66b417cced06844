"""What the portal pages show, assembled from the other apps' selectors."""

from dataclasses import dataclass

from providers.models import Provider
from scoring.selectors import trailing_net_gmv_fen
from zaofeng.periods import previous_month


@dataclass(frozen=True)
class ProviderHome:
    provider: Provider
    provider_types: list[str]
    trailing_month: object
    trailing_net_gmv_fen: int
    active_contracts: int


def provider_home(*, provider: Provider) -> ProviderHome:
    month = previous_month()
    return ProviderHome(
        provider=provider,
        provider_types=[t.label for t in provider.provider_types.all()],
        trailing_month=month,
        trailing_net_gmv_fen=trailing_net_gmv_fen(month=month, provider_ids=[provider.pk]).get(
            provider.pk, 0
        ),
        active_contracts=provider.contracts.filter(ended_on__isnull=True).count(),
    )
