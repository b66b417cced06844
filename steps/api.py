"""Merchants with their STEPS stage and history over the API."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import generics

from integrations.permissions import SIGNED_IN
from providers.access import provider_scope, providers_visible_to
from providers.api import query
from providers.api_permissions import AnyStaffRole, ProviderMember
from providers.models import ServiceContract
from steps.models import MerchantStage, StageTransition
from steps.selectors import definition_view, merchants_in_scope
from steps.serializers import MerchantFilterSerializer, MerchantOutputSerializer


def _row(merchant, view) -> dict:
    standing = merchant.current[0] if view and merchant.current else None
    return {
        "code": merchant.code,
        "name": merchant.name,
        "category": merchant.category,
        "definition_version": view.definition.version if view else None,
        "stage": None
        if standing is None
        else {
            "position": standing.position,
            "code": view.stages[standing.position - 1].code if standing.position else None,
            "name": view.label(standing.position),
        },
        "entered_on": standing.entered_on if standing else None,
        "months_in_stage": standing.months_in_stage if standing else None,
        "last_month": standing.last_month if standing else None,
        "months_without_progress": standing.months_without_progress if standing else None,
        "stuck": bool(standing and standing.stuck),
        "next_missing": list(standing.next_missing) if standing else [],
        "history": [
            {
                "month": move.month,
                "from_position": move.from_position,
                "to_position": move.to_position,
                "direction": move.direction,
            }
            for move in (merchant.moves if view else ())
        ],
    }


@extend_schema(parameters=[MerchantFilterSerializer])
class MerchantListApi(generics.ListAPIView):
    """Merchants the caller may see, by code, each with its STEPS stage under the published
    definition, time in stage, what the next stage still needs and every move so far.

    A provider's user sees the merchants its provider serves (any contract); staff see every
    merchant, a region manager those served by providers of its regions.
    """

    permission_classes = [*SIGNED_IN, AnyStaffRole | ProviderMember]
    serializer_class = MerchantOutputSerializer

    def get_queryset(self):
        data = query(MerchantFilterSerializer, self.request)
        user = self.request.user
        self.view = definition_view()
        providers = providers_visible_to(user)
        merchants = merchants_in_scope(scope=provider_scope(user), providers=providers)
        if "provider" in data:
            served = ServiceContract.objects.filter(
                provider__in=providers, provider__code=data["provider"]
            ).values("merchant_id")
            merchants = merchants.filter(pk__in=served)
        definition = self.view.definition if self.view else None
        if "position" in data:
            merchants = merchants.filter(
                steps__definition=definition, steps__position=data["position"]
            )
        return merchants.order_by("code").prefetch_related(
            Prefetch(
                "steps",
                queryset=MerchantStage.objects.filter(definition=definition),
                to_attr="current",
            ),
            Prefetch(
                "steps_transitions",
                queryset=StageTransition.objects.filter(definition=definition).order_by("month"),
                to_attr="moves",
            ),
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = [_row(merchant, self.view) for merchant in page]
        return self.get_paginated_response(MerchantOutputSerializer(rows, many=True).data)
