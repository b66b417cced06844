"""Fund returns from cash flows and marks: pure functions, no database.

Multiples (Decimal, None when the denominator is zero):
    MOIC = (realised + NAV) / invested          (gross: fees are not invested)
    DPI  = distributed / paid-in                 (paid-in = invested + fees)
    RVPI = NAV / paid-in
    TVPI = DPI + RVPI = (distributed + NAV) / paid-in

Gross IRR is the XIRR (actual/365) of the dated flows between the fund and its companies plus the
NAV as a final inflow. pyxirr computes it; before trusting a rate we ask whether a unique one
exists. With x = (1 + r)^(-1) the NPV is a generalised polynomial in x, and Descartes' rule of
signs (which holds for real exponents) bounds its positive roots by the sign changes of the
date-ordered, same-day-netted flows: none → no rate at all; one → exactly one rate; several → we
scan the NPV over rates from −99.9999 % to +1,000,000 % for sign changes and refine each by
bisection; more than one root → no unique rate. Either way the verdict is 无唯一解, never 0 and never
an arbitrary one of the roots.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

NO_UNIQUE_RATE = _("无唯一解")
WHY_NO_SIGN_CHANGE = _("现金流没有正负变化，不存在内部收益率")
WHY_SEVERAL_ROOTS = _("现金流多次变号，净现值有多个零点（%(roots)s），内部收益率不唯一")
WHY_NO_ROOT = _("现金流多次变号，但在可取范围内净现值没有零点")
WHY_TOO_FEW = _("至少需要两笔不同日期的现金流")

DAYS_PER_YEAR = 365.0
# Rates are scanned as g = ln(1 + r), from r = −99.9999 % to r = +1,000,000 %.
G_LOW = math.log(1e-6)
G_HIGH = math.log(1e4)
SCAN_STEPS = 4000
RATE_PLACES = Decimal("1E-10")
MULTIPLE_PLACES = Decimal("1E-4")


@dataclass(frozen=True)
class Flow:
    """A dated amount in fen: negative paid out by the fund, positive received."""

    on: date
    amount_fen: int


@dataclass(frozen=True)
class IrrResult:
    """The rate (Decimal, annual) when exactly one exists; otherwise rate is None, the verdict is
    无唯一解 and reason says why."""

    rate: Decimal | None
    reason: str = ""
    roots: tuple[Decimal, ...] = ()

    @property
    def unique(self) -> bool:
        return self.rate is not None

    @property
    def display(self) -> str:
        if self.rate is None:
            return str(NO_UNIQUE_RATE)
        return f"{(self.rate * 100).quantize(Decimal('0.01'))}%"


@dataclass(frozen=True)
class Multiples:
    moic: Decimal | None
    dpi: Decimal | None
    rvpi: Decimal | None
    tvpi: Decimal | None


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    if denominator <= 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(MULTIPLE_PLACES)


def multiples(*, invested_fen: int, fees_fen: int, distributed_fen: int, nav_fen: int) -> Multiples:
    """MOIC, DPI, RVPI and TVPI, each rounded to four places; TVPI is computed, not summed from
    rounded parts."""
    paid_in = invested_fen + fees_fen
    return Multiples(
        moic=_ratio(distributed_fen + nav_fen, invested_fen),
        dpi=_ratio(distributed_fen, paid_in),
        rvpi=_ratio(nav_fen, paid_in),
        tvpi=_ratio(distributed_fen + nav_fen, paid_in),
    )


def netted(flows: Iterable[Flow]) -> list[tuple[date, int]]:
    """Flows summed per day, in date order, without the days that net to zero."""
    per_day: dict[date, int] = defaultdict(int)
    for flow in flows:
        per_day[flow.on] += flow.amount_fen
    return [(day, amount) for day, amount in sorted(per_day.items()) if amount != 0]


def sign_changes(amounts: Sequence[int]) -> int:
    signs = [1 if amount > 0 else -1 for amount in amounts if amount != 0]
    return sum(1 for left, right in zip(signs, signs[1:], strict=False) if left != right)


def _scaled_npv(times: Sequence[float], amounts: Sequence[float], g: float) -> float:
    """NPV at rate e^g − 1 multiplied by (1 + r)^t_max > 0: same sign, no overflow."""
    t_max = times[-1]
    return sum(a * math.exp(g * (t_max - t)) for t, a in zip(times, amounts, strict=True))


def _bisect(times, amounts, low: float, high: float) -> float:
    f_low = _scaled_npv(times, amounts, low)
    for _step in range(200):
        middle = (low + high) / 2
        f_middle = _scaled_npv(times, amounts, middle)
        if f_middle == 0:
            return middle
        if (f_middle > 0) == (f_low > 0):
            low, f_low = middle, f_middle
        else:
            high = middle
        if high - low < 1e-15:
            break
    return (low + high) / 2


def npv_roots(flows: Iterable[Flow]) -> list[Decimal]:
    """Every rate in the scanned range where the NPV changes sign, ascending."""
    days = netted(flows)
    if len(days) < 2:
        return []
    start = days[0][0]
    times = [(day - start).days / DAYS_PER_YEAR for day, _amount in days]
    amounts = [float(amount) for _day, amount in days]
    step = (G_HIGH - G_LOW) / SCAN_STEPS
    roots = []
    previous_g = G_LOW
    previous = _scaled_npv(times, amounts, previous_g)
    for index in range(1, SCAN_STEPS + 1):
        g = G_LOW + index * step
        current = _scaled_npv(times, amounts, g)
        if current == 0 or (previous != 0 and (current > 0) != (previous > 0)):
            root = g if current == 0 else _bisect(times, amounts, previous_g, g)
            roots.append(Decimal(repr(math.expm1(root))).quantize(RATE_PLACES))
        previous_g, previous = g, current
    return sorted(set(roots))


def xirr(flows: Iterable[Flow]) -> IrrResult:
    """The annual rate that sets the NPV (actual/365) of the flows to zero, when it is unique."""
    flows = list(flows)
    days = netted(flows)
    if len(days) < 2:
        return IrrResult(None, str(WHY_TOO_FEW))
    changes = sign_changes([amount for _day, amount in days])
    if changes == 0:
        return IrrResult(None, str(WHY_NO_SIGN_CHANGE))
    roots = npv_roots(flows) if changes > 1 else []
    if changes > 1 and len(roots) > 1:
        shown = "、".join(f"{(root * 100).quantize(Decimal('0.01'))}%" for root in roots)
        return IrrResult(None, str(WHY_SEVERAL_ROOTS) % {"roots": shown}, tuple(roots))
    if changes > 1 and not roots:
        return IrrResult(None, str(WHY_NO_ROOT))

    import pyxirr  # heavy-ish native module: loaded only when a rate is computed

    dates = [day for day, _amount in days]
    amounts = [amount for _day, amount in days]
    guess = float(roots[0]) if roots else 0.1
    try:
        rate = pyxirr.xirr(dates, amounts, guess=guess, silent=True)
    except Exception:  # noqa: BLE001 - pyxirr's errors fall back to the bisection below
        rate = None
    if rate is None or not math.isfinite(rate) or rate <= -1:
        # One root exists (Descartes or the scan); pyxirr's Newton steps may still miss it.
        found = roots or npv_roots(flows)
        if len(found) != 1:
            return IrrResult(None, str(WHY_NO_ROOT))
        return IrrResult(found[0], roots=tuple(found))
    value = Decimal(repr(rate)).quantize(RATE_PLACES)
    if roots and abs(value - roots[0]) > Decimal("1E-6"):
        # Several sign changes, one root in range: pyxirr wandered to a rate outside it.
        return IrrResult(roots[0], roots=tuple(roots))
    return IrrResult(value, roots=(value,))
