"""Admission, exit and probation criteria as pure rules: values in, verdicts with reasons out.

Nothing here touches the database. A criterion states a requirement ("company registered ≥ 12
months"); it is evaluated on a snapshot, a plain mapping from criterion input name to the observed
value, which the caller assembles (the application's own data for a pre-screen; the scoring and
violation selectors for an exit evaluation). Every result carries the observed value, the threshold,
pass or fail and a sentence saying why, so that a reviewer and a provider read the same table.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from zaofeng.language import english_active
from zaofeng.money import format_fen_cn


class Operator(models.TextChoices):
    GTE = "gte", "≥"
    LTE = "lte", "≤"
    GT = "gt", ">"
    LT = "lt", "<"
    EQ = "eq", "="
    IN = "in", _("属于")
    NOT_IN = "not_in", _("不属于")
    NONE_WITHIN = "none_within", _("N个月内无")


class CriterionLevel(models.TextChoices):
    """What a failed criterion means: admission and probation use hard/soft, exit warning/exit."""

    HARD = "hard", _("硬性（必须通过）")
    SOFT = "soft", _("软性（计入评分）")
    WARNING = "warning", _("未通过则预警")
    EXIT = "exit", _("未通过则清退")
    BAN = "ban", _("未通过则封禁")


class InputKind(StrEnum):
    INT = "int"
    MONEY = "money"  # integer fen
    DECIMAL = "decimal"
    BOOL = "bool"
    CODES = "codes"  # list of codes, e.g. provider type codes
    DATES = "dates"  # list of dates, read by "none within N months"


class Missing(StrEnum):
    """How to treat an input the snapshot lacks (or holds as None)."""

    FAIL = "fail"  # admission: no evidence, no pass
    SKIP = "skip"  # exit: no data is not a violation; the criterion is reported as not evaluated


@dataclass(frozen=True)
class InputSpec:
    """What a criterion input is. escalates: a warning this input gave turns into rectification
    (30 days), then exit, when the same input fails again; every other warning stays a warning.

    Escalation belongs to the input, not to the criterion row, because the published version 1
    rows cannot change (a published set never does) and their sentences already say which rule
    escalates ("否则预警，再不达标进入整改（30天），仍不达标清退" for the score only).
    """

    kind: InputKind
    label: str
    label_en: str
    unit: str = ""
    escalates: bool = False
    unit_en: str = ""
    # A missing value passes even where missing values fail (admission): the input says there
    # was nothing to check (no named merchant is on the platform), not that evidence is lacking.
    missing_passes: bool = False

    @property
    def label_shown(self) -> str:
        """The label in the reader's language (the active one)."""
        return self.label_en if english_active() else self.label

    @property
    def unit_shown(self) -> str:
        return self.unit_en if english_active() else self.unit


METRIC_PREFIX = "metric:"

# Facts an applicant declares about its business, by input name (Application.declared_facts).
DECLARED_FACTS: dict[str, InputSpec] = {
    "brands_served": InputSpec(InputKind.INT, "服务品牌数", "brands served", "个", unit_en=""),
    "shipment_48h_rate": InputSpec(InputKind.DECIMAL, "48小时发货率", "48-hour shipment rate"),
    "refund_rate": InputSpec(InputKind.DECIMAL, "退款率", "refund rate"),
    "streamers_signed": InputSpec(
        InputKind.INT, "签约主播数", "streamers signed", "人", unit_en=" people"
    ),
    "streamers_incubated": InputSpec(
        InputKind.INT, "孵化主播数", "streamers incubated", "人", unit_en=" people"
    ),
    "incubated_streamer_gmv_fen": InputSpec(
        InputKind.MONEY, "孵化主播近12个月成交额", "incubated streamers' GMV, 12 months"
    ),
    "studios": InputSpec(InputKind.INT, "直播间数", "studios", "间", unit_en=""),
    "daily_live_hours": InputSpec(
        InputKind.DECIMAL, "日均直播时长", "daily live hours", "小时", unit_en=" hours"
    ),
    "merchants_hosted": InputSpec(InputKind.INT, "入驻商家数", "merchants hosted", "个"),
    "active_skus": InputSpec(InputKind.INT, "动销商品数", "active SKUs", "个"),
    "in_stock_rate": InputSpec(InputKind.DECIMAL, "现货率", "in-stock rate"),
    "ad_roi": InputSpec(InputKind.DECIMAL, "广告投放ROI", "ad ROI"),
    "private_domain_gmv_share": InputSpec(
        InputKind.DECIMAL, "私域成交占比", "private-domain GMV share"
    ),
    "trainees": InputSpec(InputKind.INT, "培训学员数", "trainees", "人", unit_en=" people"),
    "trainee_store_gmv_fen": InputSpec(
        InputKind.MONEY, "学员店铺培训后12个月成交额", "trainees' stores' GMV after training"
    ),
}

INPUTS: dict[str, InputSpec] = {
    # From an application (pre-screen).
    "company_age_months": InputSpec(
        InputKind.INT, "企业成立时长", "company age", "个月", unit_en=" months"
    ),
    "registered_capital_fen": InputSpec(InputKind.MONEY, "注册资本", "registered capital"),
    "team_size": InputSpec(InputKind.INT, "团队人数", "team size", "人", unit_en=" people"),
    "served_gmv_12m_fen": InputSpec(InputKind.MONEY, "近12个月服务GMV", "served GMV, 12 months"),
    "provider_types": InputSpec(InputKind.CODES, "服务商类型", "provider types"),
    "documents_complete": InputSpec(InputKind.BOOL, "资质材料齐全", "documents complete"),
    # What the applicant declares about its business, per type (Application.declared_facts).
    **DECLARED_FACTS,
    # The declared served GMV of the named merchants against the platform's GMV facts for them
    # (share of the declared amount the facts do not bear out, 0–1); None when no named
    # merchant is on the platform.
    "served_gmv_unverified_share": InputSpec(
        InputKind.DECIMAL,
        "申报服务GMV未经平台数据核实的比例",
        "share of declared served GMV the platform data does not bear out",
        missing_passes=True,
    ),
    # From the violation register (providers).
    "serious_violation_dates": InputSpec(InputKind.DATES, "严重违规", "serious violations"),
    # Serious violations of the banning kinds: fraud against buyers, data fraud, counterfeits.
    "banning_violation_dates": InputSpec(
        InputKind.DATES,
        "严重违规（欺诈消费者、数据造假、售假）",
        "serious violations (fraud against buyers, data fraud, counterfeits)",
    ),
    "violation_points_12m": InputSpec(
        InputKind.INT, "近12个月违规扣分", "penalty points, 12 months", "分", unit_en=" points"
    ),
    # From scoring.
    "trailing_net_gmv_fen": InputSpec(InputKind.MONEY, "近12个月净成交额", "trailing net GMV"),
    "months_without_gmv": InputSpec(
        InputKind.INT, "连续无成交月数", "months without GMV", "个月", unit_en=" months"
    ),
    "overall_score_last_two_quarters_max": InputSpec(
        InputKind.DECIMAL,
        "近两个季度综合评分较高者",
        "better of the last two quarters' score",
        "分",
        escalates=True,
        unit_en=" points",
    ),
    "complaints_per_10k_orders": InputSpec(
        InputKind.DECIMAL,
        "万单投诉量",
        "complaints per 10k orders",
        "次/万单",
        unit_en=" per 10k orders",
    ),
}

OPERATORS_BY_KIND: dict[InputKind, tuple[str, ...]] = {
    InputKind.INT: (
        Operator.GTE,
        Operator.LTE,
        Operator.GT,
        Operator.LT,
        Operator.EQ,
        Operator.IN,
        Operator.NOT_IN,
    ),
    InputKind.MONEY: (Operator.GTE, Operator.LTE, Operator.GT, Operator.LT, Operator.EQ),
    InputKind.DECIMAL: (Operator.GTE, Operator.LTE, Operator.GT, Operator.LT, Operator.EQ),
    InputKind.BOOL: (Operator.EQ,),
    InputKind.CODES: (Operator.IN, Operator.NOT_IN),
    InputKind.DATES: (Operator.NONE_WITHIN,),
}

LEVELS_BY_SET_KIND = {
    "admission": (CriterionLevel.HARD, CriterionLevel.SOFT),
    "probation": (CriterionLevel.HARD, CriterionLevel.SOFT),
    "exit": (CriterionLevel.WARNING, CriterionLevel.EXIT, CriterionLevel.BAN),
}

MESSAGE_UNKNOWN_INPUT = _("未知的判定字段“%(name)s”；可用字段见说明，指标写作 metric:<指标代码>。")
MESSAGE_BAD_OPERATOR = _("判定字段“%(name)s”不能使用运算符“%(operator)s”。")
MESSAGE_BAD_THRESHOLD = _("阈值“%(text)s”无效：%(why)s")
MESSAGE_BAD_LEVEL = _("该类标准中的判定不能设为“%(level)s”。")


class CriterionDefinitionError(ValueError):
    """A criterion that cannot be evaluated: unknown input, operator or unreadable threshold."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def input_spec(name: str) -> InputSpec:
    if name in INPUTS:
        return INPUTS[name]
    if name.startswith(METRIC_PREFIX) and len(name) > len(METRIC_PREFIX):
        key = name[len(METRIC_PREFIX) :]
        return InputSpec(InputKind.DECIMAL, f"指标 {key}", f"metric {key}")
    raise CriterionDefinitionError("input_name", str(MESSAGE_UNKNOWN_INPUT % {"name": name}))


def _decimal(value: object) -> Decimal:
    if isinstance(value, float):
        # Values from JSON or a third party: go through text so 0.1 stays 0.1.
        value = repr(value)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number")
    return number


def _int(value: object) -> int:
    number = _decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "是"}:
        return True
    if text in {"false", "0", "no", "否"}:
        return False
    raise ValueError(f"{value!r} is not true or false")


def threshold_parse(input_name: str, operator: str, text: str) -> object:
    """Reads a threshold as stored (text) into the value its input and operator compare against.

    Raises CriterionDefinitionError naming the field at fault.
    """
    spec = input_spec(input_name)
    if operator not in OPERATORS_BY_KIND[spec.kind]:
        raise CriterionDefinitionError(
            "operator",
            str(
                MESSAGE_BAD_OPERATOR
                % {
                    "name": input_name,
                    "operator": Operator(operator).label
                    if operator in Operator.values
                    else operator,
                }
            ),
        )
    raw = str(text).strip()
    try:
        if operator == Operator.NONE_WITHIN:
            months = _int(raw)
            if months <= 0:
                raise ValueError("the number of months must be positive")
            return months
        if operator in (Operator.IN, Operator.NOT_IN):
            items = [item.strip() for item in raw.replace("，", ",").split(",") if item.strip()]
            if not items:
                raise ValueError("list is empty")
            if spec.kind == InputKind.INT:
                return tuple(_int(item) for item in items)
            return tuple(items)
        if spec.kind in (InputKind.INT, InputKind.MONEY):
            return _int(raw)
        if spec.kind == InputKind.DECIMAL:
            return _decimal(raw)
        if spec.kind == InputKind.BOOL:
            return _bool(raw)
    except ValueError as exc:
        raise CriterionDefinitionError(
            "threshold", str(MESSAGE_BAD_THRESHOLD % {"text": raw, "why": exc})
        ) from exc
    raise CriterionDefinitionError(
        "threshold", str(MESSAGE_BAD_THRESHOLD % {"text": raw, "why": "?"})
    )


def escalates(input_name: str, level: str) -> bool:
    """Whether failing this warning-level criterion again leads to rectification, then exit.

    Reads stored rows too (decision records, exit evaluations), so verdicts already given keep
    their meaning: the answer depends only on the input and the level each row recorded.
    """
    if level != CriterionLevel.WARNING:
        return False
    try:
        return input_spec(input_name).escalates
    except CriterionDefinitionError:
        return False


def level_check(set_kind: str, level: str) -> None:
    if level not in LEVELS_BY_SET_KIND[set_kind]:
        raise CriterionDefinitionError(
            "level", str(MESSAGE_BAD_LEVEL % {"level": CriterionLevel(level).label})
        )


@dataclass(frozen=True)
class CriterionSpec:
    """One criterion as the rules read it, detached from the database row it came from."""

    input_name: str
    operator: str
    threshold: object
    level: str
    weight: int = 1
    sentence: str = ""
    sentence_en: str = ""
    criterion_id: int | None = None
    criteria_set_id: int | None = None
    criteria_set_version: int | None = None
    provider_type_id: int | None = None
    # Exit criteria: a failure removes the provider from the program, not only from the type
    # the criterion belongs to (always so for a ban).
    program_wide: bool = False

    @property
    def signature(self) -> tuple:
        """Identical requirements from two sets (a provider of two types) are evaluated once."""
        return (self.input_name, self.operator, self.threshold, self.level)


@dataclass(frozen=True)
class CriterionResult:
    spec: CriterionSpec
    observed: object
    passed: bool
    evaluated: bool
    reason: str
    observed_display: str
    threshold_display: str

    @property
    def threshold(self) -> object:
        return self.spec.threshold

    @property
    def input_name(self) -> str:
        return self.spec.input_name

    @property
    def level(self) -> str:
        return self.spec.level

    @property
    def escalates(self) -> bool:
        return escalates(self.spec.input_name, self.spec.level)

    def as_record(self) -> dict:
        """A JSON-safe row for decision records and stored verdicts."""
        return {
            "criterion_id": self.spec.criterion_id,
            "criteria_set_id": self.spec.criteria_set_id,
            "criteria_set_version": self.spec.criteria_set_version,
            "provider_type_id": self.spec.provider_type_id,
            "program_wide": self.spec.program_wide,
            "input_name": self.spec.input_name,
            "operator": self.spec.operator,
            "operator_symbol": str(Operator(self.spec.operator).label),
            "level": self.spec.level,
            "threshold": json_value(self.spec.threshold),
            "observed": json_value(self.observed),
            "threshold_display": self.threshold_display,
            "observed_display": self.observed_display,
            "passed": self.passed,
            "evaluated": self.evaluated,
            "reason": self.reason,
            "sentence": self.spec.sentence,
            "sentence_en": self.spec.sentence_en,
        }


class VerdictLevel(models.TextChoices):
    PASS = "pass", _("通过")
    WARNING = "warning", _("预警")
    EXIT = "exit", _("清退")
    BAN = "ban", _("封禁")


@dataclass(frozen=True)
class CriteriaVerdict:
    results: tuple[CriterionResult, ...]

    @property
    def hard_failures(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if r.level == CriterionLevel.HARD and not r.passed)

    @property
    def passed(self) -> bool:
        """Admission and probation: every hard criterion passed."""
        return not self.hard_failures

    @property
    def soft_score(self) -> Decimal | None:
        """Share of soft weight passed, 0–100; None when there are no soft criteria."""
        soft = [r for r in self.results if r.level == CriterionLevel.SOFT]
        total = sum(r.spec.weight for r in soft)
        if not total:
            return None
        won = sum(r.spec.weight for r in soft if r.passed)
        return (Decimal(100) * won / total).quantize(Decimal("0.01"))

    @property
    def level(self) -> str:
        """Exit criteria: the gravest consequence among the failed criteria."""
        failed = {r.level for r in self.results if not r.passed}
        if CriterionLevel.BAN in failed:
            return VerdictLevel.BAN
        if CriterionLevel.EXIT in failed:
            return VerdictLevel.EXIT
        if CriterionLevel.WARNING in failed:
            return VerdictLevel.WARNING
        return VerdictLevel.PASS

    @property
    def failures(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def incomplete(self) -> bool:
        return any(not r.evaluated for r in self.results)

    def as_records(self) -> list[dict]:
        return [result.as_record() for result in self.results]


def json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(item) for item in value]
    return value


def months_before(day: date, count: int) -> date:
    """The same day count months earlier, clamped to the month's end (31 March − 1 → 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) - count
    year, month = index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def whole_months_between(first: date, last: date) -> int:
    """Completed months from first to last: 2025-03-15 → 2025-11-14 is 7, → 2025-11-15 is 8."""
    months = (last.year - first.year) * 12 + (last.month - first.month)
    if last.day < first.day:
        months -= 1
    return max(months, 0)


def _money_display(fen: int) -> str:
    if not english_active():
        return format_fen_cn(fen)
    yuan = Decimal(fen) / 100
    text = f"{yuan:,.2f}"
    return f"¥{text[:-3] if text.endswith('.00') else text}"


def _display(spec: InputSpec, value: object) -> str:
    """A value as the reader reads it, in the active language."""
    if value is None:
        return _g("无数据")
    if spec.kind == InputKind.MONEY:
        return _money_display(int(value))
    if spec.kind == InputKind.BOOL:
        return _g("是") if value else _g("否")
    if spec.kind in (InputKind.CODES, InputKind.DATES):
        items = [json_value(item) for item in value]
        separator = ", " if english_active() else "、"
        return separator.join(str(item) for item in items) if items else _g("无")
    if isinstance(value, Decimal):
        text = f"{value.normalize():f}"
        return f"{text}{spec.unit_shown}"
    return f"{value}{spec.unit_shown}"


def _threshold_display(spec: InputSpec, operator: str, threshold: object) -> str:
    if operator == Operator.NONE_WITHIN:
        return _g("%(months)s个月内无") % {"months": threshold}
    if operator in (Operator.IN, Operator.NOT_IN):
        separator = ", " if english_active() else "、"
        return f"{Operator(operator).label} {separator.join(str(item) for item in threshold)}"
    return f"{Operator(operator).label} {_display(spec, threshold)}"


def criterion_reason(
    *,
    input_name: str,
    operator: str,
    threshold: object,
    observed: object,
    passed: bool,
    evaluated: bool,
) -> str:
    """The sentence saying why a criterion passed or failed, in the active language.

    Built from the structured result (input, operator, threshold, observed value), never from
    stored text, so a verdict given in Chinese reads in English for an English reader.
    """
    meta = input_spec(input_name)
    label = meta.label_shown
    if not evaluated and passed and meta.missing_passes:
        return _g("%(label)s：无可核对的平台数据，不评估。") % {"label": label}
    if not evaluated:
        template = (
            _g("%(label)s：无数据，本期不评估。")
            if passed
            else _g("%(label)s：缺少数据，视为未通过。")
        )
        return template % {"label": label}
    observed_display = _display(meta, observed)
    if operator == Operator.NONE_WITHIN:
        if passed:
            return _g("%(label)s：%(months)s个月内无记录，通过。") % {
                "label": label,
                "months": threshold,
            }
        return _g("%(label)s：%(months)s个月内有记录（%(dates)s），未通过。") % {
            "label": label,
            "months": threshold,
            "dates": observed_display,
        }
    template = (
        _g("%(label)s：实际 %(observed)s，要求 %(threshold)s，通过。")
        if passed
        else _g("%(label)s：实际 %(observed)s，要求 %(threshold)s，未通过。")
    )
    return template % {
        "label": label,
        "observed": observed_display,
        "threshold": _threshold_display(meta, operator, threshold),
    }


@dataclass(frozen=True)
class CriterionRow:
    """A stored criterion result rendered for the reader, in the active language."""

    input_name: str
    label: str
    sentence: str
    level: str
    operator: str
    passed: bool
    evaluated: bool
    observed_display: str
    threshold_display: str
    reason: str


def criterion_row_render(row: Mapping[str, object]) -> CriterionRow:
    """Renders a stored result row (CriterionResult.as_record(), a PrescreenResult's fields) at
    read time. A row whose input is no longer known keeps the texts it was stored with."""
    input_name = str(row.get("input_name", ""))
    operator = str(row.get("operator", ""))
    passed = bool(row.get("passed"))
    evaluated = bool(row.get("evaluated", True))
    sentence = str(row.get("sentence_en") or row.get("sentence") or input_name)
    if not english_active():
        sentence = str(row.get("sentence") or input_name)
    try:
        meta = input_spec(input_name)
        threshold = _typed_threshold(meta, operator, row.get("threshold"))
        raw = row.get("observed")
        observed = None if raw is None or not evaluated else _typed_observed(meta, raw)
    except (CriterionDefinitionError, ValueError, TypeError, KeyError):
        return CriterionRow(
            input_name=input_name,
            label=input_name,
            sentence=sentence,
            level=str(row.get("level", "")),
            operator=operator,
            passed=passed,
            evaluated=evaluated,
            observed_display=str(row.get("observed_display", "")),
            threshold_display=str(row.get("threshold_display", "")),
            reason=str(row.get("reason", "")),
        )
    return CriterionRow(
        input_name=input_name,
        label=meta.label_shown,
        sentence=sentence,
        level=str(row.get("level", "")),
        operator=operator,
        passed=passed,
        evaluated=evaluated,
        observed_display=_display(meta, observed),
        threshold_display=_threshold_display(meta, operator, threshold),
        reason=criterion_reason(
            input_name=input_name,
            operator=operator,
            threshold=threshold,
            observed=observed,
            passed=passed,
            evaluated=evaluated,
        ),
    )


def _typed_threshold(spec: InputSpec, operator: str, value: object) -> object:
    """A threshold as json_value stored it, typed again for display."""
    if operator == Operator.NONE_WITHIN:
        return _int(value)
    if operator in (Operator.IN, Operator.NOT_IN):
        items = value if isinstance(value, list | tuple) else str(value).split(",")
        return tuple(_int(item) if spec.kind == InputKind.INT else str(item) for item in items)
    return _typed_observed(spec, value)


def _typed_observed(spec: InputSpec, value: object) -> object:
    if spec.kind in (InputKind.INT, InputKind.MONEY):
        return _int(value)
    if spec.kind == InputKind.DECIMAL:
        return _decimal(value)
    if spec.kind == InputKind.BOOL:
        return _bool(value)
    if spec.kind == InputKind.CODES:
        return tuple(str(item) for item in value)
    if spec.kind == InputKind.DATES:
        return tuple(
            sorted(
                item if isinstance(item, date) else date.fromisoformat(str(item)) for item in value
            )
        )
    raise AssertionError(spec.kind)


def _compare(
    operator: str, observed: object, threshold: object, as_of: date
) -> tuple[bool, object]:
    """Pass or fail, and what to show as the observed value."""
    if operator == Operator.GTE:
        return observed >= threshold, observed
    if operator == Operator.LTE:
        return observed <= threshold, observed
    if operator == Operator.GT:
        return observed > threshold, observed
    if operator == Operator.LT:
        return observed < threshold, observed
    if operator == Operator.EQ:
        return observed == threshold, observed
    if operator in (Operator.IN, Operator.NOT_IN):
        values = set(observed) if isinstance(observed, tuple) else {observed}
        hit = bool(values & set(threshold))
        return (hit if operator == Operator.IN else not hit), observed
    if operator == Operator.NONE_WITHIN:
        since = months_before(as_of, threshold)
        within = tuple(day for day in observed if since < day <= as_of)
        return not within, within
    raise AssertionError(operator)


def criterion_evaluate(
    spec: CriterionSpec, snapshot: Mapping[str, object], *, as_of: date, missing: Missing
) -> CriterionResult:
    """Evaluates one criterion on a snapshot; never raises for a missing or unreadable value."""
    meta = input_spec(spec.input_name)
    threshold_display = _threshold_display(meta, spec.operator, spec.threshold)
    raw = snapshot.get(spec.input_name)
    observed = None
    if raw is not None:
        try:
            observed = _typed_observed(meta, raw)
        except (ValueError, TypeError):
            observed = None
    if observed is None:
        passed = missing == Missing.SKIP or meta.missing_passes
        return CriterionResult(
            spec=spec,
            observed=None,
            passed=passed,
            evaluated=False,
            reason=criterion_reason(
                input_name=spec.input_name,
                operator=spec.operator,
                threshold=spec.threshold,
                observed=None,
                passed=passed,
                evaluated=False,
            ),
            observed_display=_display(meta, None),
            threshold_display=threshold_display,
        )
    passed, shown = _compare(spec.operator, observed, spec.threshold, as_of)
    return CriterionResult(
        spec=spec,
        observed=shown,
        passed=passed,
        evaluated=True,
        reason=criterion_reason(
            input_name=spec.input_name,
            operator=spec.operator,
            threshold=spec.threshold,
            observed=shown,
            passed=passed,
            evaluated=True,
        ),
        observed_display=_display(meta, shown),
        threshold_display=threshold_display,
    )


def criteria_evaluate(
    specs: Iterable[CriterionSpec],
    snapshot: Mapping[str, object],
    *,
    as_of: date,
    missing: Missing,
) -> CriteriaVerdict:
    """Evaluates every criterion once, in order; identical requirements from two sets count once."""
    seen: set[tuple] = set()
    results: list[CriterionResult] = []
    for spec in specs:
        if spec.signature in seen:
            continue
        seen.add(spec.signature)
        results.append(criterion_evaluate(spec, snapshot, as_of=as_of, missing=missing))
    return CriteriaVerdict(results=tuple(results))
