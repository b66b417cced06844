"""Export actions for admin lists: the selected rows (or all that match) as CSV or XLSX."""

from django.contrib import admin
from django.contrib.admin.utils import label_for_field, lookup_field
from django.db import models
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from providers.exports import ExportFormat, Table, table_response


def _column_value(name, obj, modeladmin):
    field, _attr, value = lookup_field(name, obj, modeladmin)
    if field is not None and getattr(field, "flatchoices", None) and value is not None:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, str):
        # Admin display methods may return HTML; a spreadsheet wants the words.
        return strip_tags(value)
    return value


def changelist_table(modeladmin, request, queryset) -> Table:
    """The admin's list columns (or its export_fields) for the rows of queryset."""
    names = [
        name
        for name in getattr(modeladmin, "export_fields", None)
        or modeladmin.get_list_display(request)
        if name != "action_checkbox"
    ]
    model = modeladmin.model
    headers = [str(label_for_field(name, model, modeladmin)) for name in names]
    rows = (
        [_column_value(name, obj, modeladmin) for name in names] for obj in queryset.iterator(2000)
    )
    return Table(title=str(model._meta.verbose_name_plural), headers=headers, rows=rows)


def _export(modeladmin, request, queryset, export_format):
    table = changelist_table(modeladmin, request, queryset)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{modeladmin.model._meta.model_name}-{stamp}"
    return table_response(table=table, export_format=export_format, filename=filename)


@admin.action(permissions=["view"], description=_("导出所选为 CSV"))
def export_csv(modeladmin, request, queryset):
    return _export(modeladmin, request, queryset, ExportFormat.CSV)


@admin.action(permissions=["view"], description=_("导出所选为 Excel（XLSX）"))
def export_xlsx(modeladmin, request, queryset):
    return _export(modeladmin, request, queryset, ExportFormat.XLSX)


EXPORT_ACTIONS = [export_csv, export_xlsx]
