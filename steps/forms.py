from django.utils.translation import gettext_lazy as _

from scoring.forms import MetricsUploadForm
from scoring.models import ImportKind
from steps.services.imports import CHANNELS


class DataUploadForm(MetricsUploadForm):
    """The upload pages' form: GMV, metrics, or merchants' channel facts (STEPS)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [*ImportKind.choices, (CHANNELS, _("商家渠道数据（STEPS）"))]
