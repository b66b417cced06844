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
from risk.selectors import risk_histories

FEATURES = (
    ("log_growth", _("成交环比增长")),
    ("refund_rise", _("退款率上升")),
    ("order_value_change", _("客单价变化")),
    ("trust_claims", _("信任卡赔付率")),
)
MIN_PROVIDERS = 20


def feature_rows(histories, month_index: int) -> tuple[list[int], list[list[float]]]:
    ids, rows = [], []
    for history in histories:
        if month_index not in history.months:
            continue
        values = (
            rules.log_growth(history, month_index),
            rules.refund_rise(history, month_index),
            rules.order_value_change(history, month_index),
            rules.trust_claims_per_10k(history, month_index, 1),
        )
        ids.append(history.provider_id)
        rows.append([0.0 if value is None else float(value) for value in values])
    return ids, rows


def anomaly_scores(rows: list[list[float]]) -> tuple[list[float], list[list[float]]]:
    """ECOD's score for each row and each feature's share of it (pure: plain lists in and out)."""
    import numpy as np
    from pyod.models.ecod import ECOD

    detector = ECOD()
    detector.fit(np.asarray(rows, dtype=float))
    per_feature = np.asarray(detector.O, dtype=float)
    return detector.decision_scores_.tolist(), per_feature.tolist()


def signals_rank(*, month: date) -> int:
    """Scores the month's signals for the review order; returns how many it scored."""
    signals = list(RiskSignal.objects.filter(month=month).only("pk", "provider_id"))
    if not signals:
        return 0
    histories = risk_histories(month=month)
    index = month.year * 12 + month.month - 1
    ids, rows = feature_rows(histories, index)
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
