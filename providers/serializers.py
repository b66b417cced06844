from rest_framework import serializers

from providers.models import Provider


class ProviderOutputSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.label")
    provider_types = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Provider
        fields = [
            "code",
            "name",
            "legal_name",
            "credit_code",
            "provider_types",
            "region",
            "region_name",
            "status",
            "status_display",
            "joined_on",
        ]

    def get_provider_types(self, obj) -> list[str]:
        return [provider_type.code for provider_type in obj.provider_types.all()]
