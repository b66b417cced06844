"""Criteria of a provider of several types, and the served-GMV check: pure functions.

A provider (or applicant) of several types is judged under each type's own published set; every
result row knows the type it belongs to. A snapshot may hold a type's own value of an input under
`<input>@<type id>` (a score computed in that type's cohort): it overrides the plain value when
that type's criteria are judged.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from providers.criteria import CriteriaVerdict, CriterionSpec, Missing, criteria_evaluate

TYPE_SEPARATOR = "@"


def type_key(input_name: str, provider_type_id: int) -> str:
    """The snapshot key of one type's own value of an input."""
    return f"{input_name}{TYPE_SEPARATOR}{provider_type_id}"


def snapshot_for_type(snapshot: Mapping[str, object], provider_type_id: int) -> dict[str, object]:
    """The snapshot as one type's criteria read it: that type's own values over the plain ones,
    other types' own values left out."""
    plain = {key: value for key, value in snapshot.items() if TYPE_SEPARATOR not in key}
    suffix = f"{TYPE_SEPARATOR}{provider_type_id}"
    for key, value in snapshot.items():
        if key.endswith(suffix):
            plain[key[: -len(suffix)]] = value
    return plain


def verdicts_by_type(
    specs: Iterable[CriterionSpec],
    snapshot: Mapping[str, object],
    *,
    as_of: date,
    missing: Missing,
) -> dict[int | None, CriteriaVerdict]:
    """Each type's verdict on its own criteria, in type order."""
    grouped: dict[int | None, list[CriterionSpec]] = {}
    for spec in specs:
        grouped.setdefault(spec.provider_type_id, []).append(spec)
    return {
        type_id: criteria_evaluate(
            type_specs,
            snapshot if type_id is None else snapshot_for_type(snapshot, type_id),
            as_of=as_of,
            missing=missing,
        )
        for type_id, type_specs in sorted(grouped.items(), key=lambda item: item[0] or 0)
    }


@dataclass(frozen=True)
class ServedGmvCheck:
    """Declared served GMV of the named merchants found on the platform, against the platform's
    net GMV of those merchants over the same twelve months.

    verified_fen counts, per merchant, at most what was declared for it (the platform's GMV of a
    merchant is an upper bound of what one provider served); unverified_share is the part of the
    declared amount the facts do not bear out, 0–1, None when no named merchant is on the
    platform (nothing to check).
    """

    merchants_checked: int
    declared_fen: int
    verified_fen: int

    @property
    def difference_fen(self) -> int:
        return self.declared_fen - self.verified_fen

    @property
    def unverified_share(self) -> Decimal | None:
        if not self.merchants_checked or self.declared_fen <= 0:
            return None
        share = Decimal(self.difference_fen) / Decimal(self.declared_fen)
        return share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def served_gmv_check(pairs: Iterable[tuple[int | None, int]]) -> ServedGmvCheck:
    """pairs: (declared fen, platform net fen) for each named merchant found on the platform.
    A case without a declared amount is not checked."""
    checked = declared = verified = 0
    for declared_fen, platform_fen in pairs:
        if declared_fen is None:
            continue
        checked += 1
        declared += declared_fen
        verified += max(min(declared_fen, platform_fen), 0)
    return ServedGmvCheck(merchants_checked=checked, declared_fen=declared, verified_fen=verified)
