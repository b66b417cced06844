"""A signal's reason in the reader's language, from the figures it stores."""

from django.utils.translation import gettext as _

from risk.models import RiskSignal
from risk.rules import RuleKind


def plain_number(value) -> str:
    """A stored Decimal without its padding zeros (3.5000 → 3.5); — when there is none."""
    if value is None:
        return "—"
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pct(value) -> str:
    return f"{float(value) * 100:.1f}%"


def peer_group_label(signal: RiskSignal, tiers: dict[str, str] | None = None) -> str:
    """The peer group by the tier's name in the active language (it is stored as the code)."""
    return (tiers or {}).get(signal.peer_group, signal.peer_group)


def anomaly_labels(signal: RiskSignal) -> str:
    """The anomaly ranking's two largest contributions, by name."""
    from risk.services.ranking import FEATURES

    names = {key: str(label) for key, label in FEATURES}
    return "、".join(names.get(key, key) for key in signal.anomaly_reasons or [])


def signal_reason(signal: RiskSignal, tiers: dict[str, str] | None = None) -> str:
    """tiers: tier names by code (funding.selectors.standing.tier_labels), read once per page."""
    detail = signal.detail or {}
    peers = _("同组 {group}（{count} 家）中位数 {median}，稳健 z 值 {z}，阈值 {threshold}").format(
        group=peer_group_label(signal, tiers),
        count=signal.peers,
        median=plain_number(signal.peer_median),
        z=plain_number(signal.z),
        threshold=plain_number(signal.threshold),
    )
    if signal.rule == RuleKind.GMV_SPIKE_REFUND_SURGE:
        return (
            _("成交额为自身前三个月中位数的 {growth} 倍，退款率上升 {rise}。").format(
                growth=f"{float(signal.observed):.2f}", rise=_pct(detail.get("refund_rise", 0))
            )
            + peers
        )
    if signal.rule == RuleKind.SPIKE_AFTER_GRANT:
        return (
            _("获得资源后两个月内，成交额为自身前三个月中位数的 {growth} 倍。").format(
                growth=f"{float(signal.observed):.2f}"
            )
            + peers
        )
    if signal.rule == RuleKind.REFUND_SURGE_AFTER_SPIKE:
        return (
            _("上月成交激增（{growth} 倍）后，本月退款率上升 {rise}。").format(
                growth=detail.get("spike_growth", ""), rise=_pct(signal.observed)
            )
            + peers
        )
    if signal.rule == RuleKind.ORDER_VALUE_COLLAPSE:
        return (
            _("客单价降至自身前三个月中位数的 {share}。").format(share=_pct(signal.observed))
            + peers
        )
    if signal.rule == RuleKind.TRUST_CARD_CLAIMS:
        return (
            _("信任卡赔付每万单 {rate} 次。").format(rate=f"{float(signal.observed):.1f}") + peers
        )
    if signal.rule == RuleKind.LINKED_PROVIDERS:
        return _("与 {count} 家已清退或封禁的服务商共用{shared}。").format(
            count=int(signal.observed), shared=shared_label(detail.get("shared", ""))
        )
    return peers


def shared_label(kinds: str) -> str:
    names = {
        "legal_representative": _("法定代表人"),
        "phone": _("联系电话"),
        "email": _("联系邮箱"),
        "bank_account": _("银行账号"),
    }
    return "、".join(str(names.get(kind, kind)) for kind in kinds.split(",") if kind)


def chart_rows(chart) -> list[tuple[str, str, str, str, str]]:
    """The chart's data table as the reader reads money and rates: ¥万/亿, percentages, ×."""
    from zaofeng.money import format_fen_cn

    def pct(value):
        return "—" if value is None else f"{value * 100:.1f}%"

    rows = []
    for i, month in enumerate(chart.months):
        gross = chart.provider_gross_yuan[i]
        growth = chart.provider_growth[i]
        rows.append(
            (
                month,
                "—" if gross is None else format_fen_cn(gross * 100),
                pct(chart.provider_refund_rate[i]),
                f"{pct(chart.peer_refund_p10[i])}–{pct(chart.peer_refund_p90[i])}",
                "—" if growth is None else f"{growth:.2f}×",
            )
        )
    return rows
