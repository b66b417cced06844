from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from integrations.serializers import QueryParametersSerializer
from providers.access import providers_visible_to
from providers.models import LifecycleStatus
from providers.serializers import ProviderOutputSerializer


class ProviderFilterSerializer(QueryParametersSerializer):
    status = serializers.ChoiceField(choices=LifecycleStatus.choices, required=False)
    region = serializers.SlugField(required=False)
    provider_type = serializers.SlugField(required=False)
    q = serializers.CharField(required=False, max_length=100, help_text="code or name contains")


@extend_schema(parameters=[ProviderFilterSerializer])
class ProviderListApi(generics.ListAPIView):
    """Providers the caller may see: all for staff, its own for a provider's user."""

    serializer_class = ProviderOutputSerializer

    def get_queryset(self):
        filters = ProviderFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = (
            providers_visible_to(self.request.user)
            .select_related("region")
            .prefetch_related("provider_types")
            .order_by("code")
        )
        data = filters.validated_data
        if "status" in data:
            queryset = queryset.filter(status=data["status"])
        if "region" in data:
            queryset = queryset.filter(region__code=data["region"])
        if "provider_type" in data:
            queryset = queryset.filter(provider_types__code=data["provider_type"])
        if "q" in data:
            queryset = queryset.filter(Q(code__icontains=data["q"]) | Q(name__icontains=data["q"]))
        return queryset


class ProviderDetailApi(generics.RetrieveAPIView):
    serializer_class = ProviderOutputSerializer
    lookup_field = "code"

    def get_object(self):
        queryset = (
            providers_visible_to(self.request.user)
            .select_related("region")
            .prefetch_related("provider_types")
        )
        return get_object_or_404(queryset, code=self.kwargs["code"])
