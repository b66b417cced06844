"""API shapes of the registry, applications and criterion results: input and output serializers.

Input serializers check only what the schema says (types, lengths, choices); the services judge
the rest, and their refusals are 409s.
"""

from django.urls import reverse
from rest_framework import serializers

from integrations.serializers import (
    CatalogueCodeField,
    ChoiceLabelField,
    EnumField,
    MonthField,
    QueryParametersSerializer,
    SlugTextField,
    TextField,
    WholeNumberField,
)
from providers.models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    ExitEvaluation,
    LifecycleStatus,
    PrescreenResult,
    Provider,
    ProviderType,
    Region,
)
from providers.models.decisions import VerdictLevel

# ------------------------------------------------------------------------------
# Providers
# ------------------------------------------------------------------------------


PROVIDER_TYPES_LISTED = "provider_types_listed"


class ProviderOutputSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.label")
    provider_types = serializers.SerializerMethodField()
    status = EnumField(LifecycleStatus, read_only=True)
    status_display = ChoiceLabelField(LifecycleStatus, source="status")

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
        # A plain list when the view prefetched it (providers.api.PROVIDER_TYPES): a related
        # manager per row costs more than the row's other fields together.
        types = getattr(obj, PROVIDER_TYPES_LISTED, None)
        if types is None:
            types = obj.provider_types.all()
        return [provider_type.code for provider_type in types]


class ProviderFilterSerializer(QueryParametersSerializer):
    status = EnumField(LifecycleStatus, required=False)
    region = SlugTextField(required=False)
    provider_type = SlugTextField(required=False)
    q = TextField(required=False, max_length=100, help_text="code or name contains")


# ------------------------------------------------------------------------------
# Criterion results: one row per criterion, as judged (pre-screen and exit evaluations)
# ------------------------------------------------------------------------------


class CriterionResultSerializer(serializers.Serializer):
    """One criterion as it was judged; the same fields for a pre-screen and an exit evaluation."""

    criteria_set_version = serializers.IntegerField(allow_null=True, default=None)
    input_name = serializers.CharField()
    operator = serializers.CharField()
    level = serializers.CharField()
    threshold = serializers.JSONField(help_text="the threshold as stored (number, text or list)")
    observed = serializers.JSONField(allow_null=True, help_text="the observed value, or null")
    threshold_display = serializers.CharField()
    observed_display = serializers.CharField()
    passed = serializers.BooleanField()
    evaluated = serializers.BooleanField()
    reason = serializers.CharField()
    sentence = serializers.CharField()
    sentence_en = serializers.CharField()


class PrescreenResultSerializer(CriterionResultSerializer):
    criteria_set_version = serializers.IntegerField(source="criteria_set.version")
    position = serializers.IntegerField()
    provider_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    declared_fen = serializers.IntegerField(read_only=True, allow_null=True)
    verified_fen = serializers.IntegerField(read_only=True, allow_null=True)
    difference_fen = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = PrescreenResult


class ExitEvaluationOutputSerializer(serializers.ModelSerializer):
    month = MonthField(read_only=True)
    verdict = EnumField(VerdictLevel, read_only=True)
    verdict_display = serializers.CharField(source="get_verdict_display", read_only=True)
    results = CriterionResultSerializer(many=True, read_only=True)

    class Meta:
        model = ExitEvaluation
        fields = [
            "id",
            "month",
            "verdict",
            "verdict_display",
            "transition",
            "run_id",
            "evaluated_at",
            "results",
        ]
        read_only_fields = fields


class ExitEvaluationFilterSerializer(QueryParametersSerializer):
    month = MonthField(required=False)
    verdict = EnumField(VerdictLevel, required=False)


# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------


class ApplicationOutputSerializer(serializers.ModelSerializer):
    """An application as listed: who, what, where it stands."""

    number = serializers.CharField(read_only=True)
    status = EnumField(ApplicationStatus, read_only=True)
    status_display = ChoiceLabelField(ApplicationStatus, source="status", read_only=True)
    provider_code = serializers.CharField(source="provider.code", read_only=True, allow_null=True)
    region = serializers.CharField(source="region.code", read_only=True)
    provider_types = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "number",
            "status",
            "status_display",
            "company_name",
            "credit_code",
            "provider_code",
            "region",
            "provider_types",
            "created_at",
            "submitted_at",
            "prescreened_at",
            "prescreen_passed",
            "decided_at",
        ]
        read_only_fields = fields

    def get_provider_types(self, obj) -> list[str]:
        return [provider_type.code for provider_type in obj.provider_types.all()]


class ApplicationDocumentOutputSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationDocument
        fields = [
            "id",
            "kind",
            "original_name",
            "content_type",
            "size",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return reverse("documents:download", args=[obj.pk])


class ApplicationDetailOutputSerializer(ApplicationOutputSerializer):
    """One application with everything the applicant entered and its pre-screen, row by row."""

    regions_served = serializers.SerializerMethodField()
    prescreen_results = PrescreenResultSerializer(many=True, read_only=True)
    documents = ApplicationDocumentOutputSerializer(many=True, read_only=True)

    class Meta(ApplicationOutputSerializer.Meta):
        fields = [
            *ApplicationOutputSerializer.Meta.fields,
            "legal_name",
            "regions_served",
            "registered_on",
            "registered_capital_fen",
            "team_size",
            "served_gmv_12m_fen",
            "introduction",
            "contact_name",
            "contact_phone",
            "contact_email",
            "legal_representative",
            "declared_facts",
            "prescreen_soft_score",
            "decision_reason",
            "prescreen_results",
            "documents",
        ]
        read_only_fields = fields

    def get_regions_served(self, obj) -> list[str]:
        return [region.code for region in obj.regions_served.all()]


class ApplicationFilterSerializer(QueryParametersSerializer):
    status = EnumField(ApplicationStatus, required=False)


def _max_length(name: str) -> int:
    return Application._meta.get_field(name).max_length


class ApplicationInputSerializer(serializers.Serializer):
    """A draft application. Lengths and choices are checked here; the credit code's check
    character, the e-mail and the company's eligibility are the service's to judge (409)."""

    company_name = TextField(max_length=_max_length("company_name"))
    legal_name = TextField(max_length=_max_length("legal_name"))
    credit_code = TextField(
        max_length=18, min_length=18, help_text="unified social credit code (GB 32100-2015)"
    )
    registered_on = serializers.DateField()
    registered_capital_fen = WholeNumberField(min_value=0, max_value=2**63 - 1)
    team_size = WholeNumberField(min_value=0, max_value=2**31 - 1)
    served_gmv_12m_fen = WholeNumberField(min_value=0, max_value=2**63 - 1)
    introduction = TextField(required=False, allow_blank=True, max_length=5000)
    contact_name = TextField(max_length=_max_length("contact_name"))
    contact_phone = TextField(max_length=_max_length("contact_phone"))
    contact_email = TextField(max_length=_max_length("contact_email"))
    legal_representative = TextField(
        required=False, allow_blank=True, max_length=_max_length("legal_representative")
    )
    declared_facts = serializers.DictField(
        required=False,
        help_text='business facts by provider type, e.g. {"brands_served": 5}: see docs/lifecycle.md',
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built here, not in the class body: their choices come from the database.
        self.fields["region"] = CatalogueCodeField(model=Region, name="RegionCode")
        self.fields["regions_served"] = serializers.ListField(
            child=CatalogueCodeField(model=Region, name="RegionCode"), required=False
        )
        self.fields["provider_types"] = serializers.ListField(
            child=CatalogueCodeField(model=ProviderType, name="ProviderTypeCode"), min_length=1
        )

    def validate(self, attrs):
        # Codes become the catalogue rows the service takes.
        regions = {region.code: region for region in Region.objects.all()}
        attrs["region"] = regions[attrs["region"]]
        attrs["regions_served"] = [regions[code] for code in attrs.get("regions_served", [])]
        types = {t.code: t for t in ProviderType.objects.filter(code__in=attrs["provider_types"])}
        attrs["provider_types"] = [types[code] for code in dict.fromkeys(attrs["provider_types"])]
        return attrs
