"""Orders the review list by a maintained anomaly detector (PyOD's ECOD): it ranks, never flags.

ECOD scores each provider-month by how far into its tails each feature lies, feature by feature
(empirical cumulative distributions, no parameters to tune), so the score comes with reasons:
the features that contributed most.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from risk import rules
from risk.models import RiskSignal
from risk.selectors import risk_panel

FEATURES = (
    ("log_growth", _("成交环比增长")),
    ("refund_rise", _("退款率上升")),
    ("order_value_change", _("客单价变化")),
    ("trust_claims", _("信任卡赔付率")),
)
MIN_PROVIDERS = 20


def feature_rows(figures, month_index: int) -> tuple[list[int], list[list[float]]]:
    """The providers with figures for the month and their features (0 where a feature has no
    value), from the rules' panel (or the histories it is made from)."""
    panel = rules.panel_of(figures)
    np = panel.np
    present = np.nonzero(panel.present(month_index))[0]
    columns = np.column_stack(
        [
            panel.measure("log_growth", month_index),
            panel.measure("refund_rise", month_index),
            panel.measure("order_value_change", month_index),
            panel.measure("trust_claims", month_index, min_orders=1),
        ]
    )[present]
    columns[~np.isfinite(columns)] = 0.0
    return [panel.ids[i] for i in present], columns.tolist()


def anomaly_scores(rows: list[list[float]]) -> tuple[list[float], list[list[float]]]:
    """ECOD's score for each row and each feature's share of it (pure: plain lists in and out)."""
    import numpy as np
    from pyod.models.ecod import ECOD

    detector = ECOD()
    detector.fit(np.asarray(rows, dtype=float))
    per_feature = np.asarray(detector.O, dtype=float)
    return detector.decision_scores_.tolist(), per_feature.tolist()


def signals_rank(*, month: date, panel: rules.Panel | None = None) -> int:
    """Scores the month's signals for the review order; returns how many it scored. panel: the
    month's figures when the caller has read them already (the run's batches did)."""
    signals = list(RiskSignal.objects.filter(month=month).only("pk", "provider_id"))
    if not signals:
        return 0
    if panel is None:
        panel = risk_panel(month=month)
    index = month.year * 12 + month.month - 1
    ids, rows = feature_rows(panel, index)
    if len(ids) < MIN_PROVIDERS:
        return 0
    scores, per_feature = anomaly_scores(rows)
    position = {provider_id: i for i, provider_id in enumerate(ids)}
    ranked = []
    for signal in signals:
        i = position.get(signal.provider_id)
        if i is None:
            continue
        contributions = sorted(
            zip((key for key, _label in FEATURES), per_feature[i], strict=True),
            key=lambda pair: -pair[1],
        )
        signal.anomaly_score = Decimal(str(round(scores[i], 4)))
        signal.anomaly_reasons = [key for key, _value in contributions[:2]]
        ranked.append(signal)
    with transaction.atomic():
        RiskSignal.objects.bulk_update(ranked, ["anomaly_score", "anomaly_reasons"])
    return len(ranked)
