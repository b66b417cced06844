from django.contrib import admin

from scoring.models import GmvFact, Metric, MetricValue, Score, ScoringModel


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "name_en", "capability", "unit", "higher_is_better"]
    list_filter = ["capability", "unit", "higher_is_better"]
    search_fields = ["key", "name", "name_en"]


@admin.register(MetricValue)
class MetricValueAdmin(admin.ModelAdmin):
    list_display = ["provider", "metric", "month", "value"]
    list_filter = ["metric__capability", "metric", "month"]
    search_fields = ["provider__code", "provider__name", "metric__key"]
    autocomplete_fields = ["provider", "metric"]
    list_select_related = ["provider", "metric"]
    date_hierarchy = "month"


@admin.register(GmvFact)
class GmvFactAdmin(admin.ModelAdmin):
    list_display = [
        "provider",
        "merchant",
        "month",
        "gross_gmv_fen",
        "refund_fen",
        "net_gmv_fen",
        "orders",
    ]
    list_filter = ["month"]
    search_fields = ["provider__code", "provider__name", "merchant__code", "merchant__name"]
    autocomplete_fields = ["provider", "merchant"]
    list_select_related = ["provider", "merchant"]
    date_hierarchy = "month"


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "status", "published_at"]
    list_filter = ["status"]
    search_fields = ["name"]


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ["provider", "month", "kind", "value", "scoring_model"]
    list_filter = ["kind", "scoring_model", "month"]
    search_fields = ["provider__code", "provider__name"]
    autocomplete_fields = ["provider"]
    list_select_related = ["provider", "scoring_model"]
    date_hierarchy = "month"
