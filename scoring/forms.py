from django import forms
from django.utils.translation import gettext_lazy as _

from scoring.models import ImportKind


class MetricsUploadForm(forms.Form):
    """The upload of a GMV or metrics file (admin page; the portal reuses it for a provider)."""

    kind = forms.ChoiceField(label=_("数据类型"), choices=ImportKind.choices)
    file = forms.FileField(
        label=_("数据文件"), help_text=_("CSV（UTF-8 或 GBK 编码）或 XLSX，第一行为列名")
    )
    dry_run = forms.BooleanField(
        label=_("仅校验"), required=False, help_text=_("只校验并显示将要变更的行数，不导入")
    )
