"""Ownership from a term sheet and the rounds after it: pure Decimal arithmetic, no database.

At entry the fund owns amount / post-money, post-money = pre-money + amount. A later round with
pre-money P and new money N issues new shares worth N at the round's price: every holder's stake
is multiplied by P / (P + N), and the fund adds (its participation) / (P + N) when it follows on.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class RoundTerms:
    pre_money_fen: int
    new_money_fen: int
    fund_amount_fen: int = 0


def entry_ownership(*, amount_fen: int, pre_money_fen: int) -> Decimal:
    """The share of the company bought at entry: amount / (pre-money + amount)."""
    if amount_fen <= 0 or pre_money_fen <= 0:
        raise ValueError("amount and pre-money must be positive")
    return Decimal(amount_fen) / Decimal(pre_money_fen + amount_fen)


def diluted_ownership(
    *, amount_fen: int, pre_money_fen: int, rounds: Iterable[RoundTerms] = ()
) -> Decimal:
    """The fund's share after the later rounds, in the order given."""
    share = entry_ownership(amount_fen=amount_fen, pre_money_fen=pre_money_fen)
    for terms in rounds:
        if terms.pre_money_fen <= 0 or terms.new_money_fen <= 0:
            raise ValueError("a round needs a positive pre-money and new money")
        if not 0 <= terms.fund_amount_fen <= terms.new_money_fen:
            raise ValueError("the fund's participation lies within the round's new money")
        post = Decimal(terms.pre_money_fen + terms.new_money_fen)
        share = share * Decimal(terms.pre_money_fen) / post + Decimal(terms.fund_amount_fen) / post
    return share


def implied_value_fen(*, share: Decimal, post_money_fen: int) -> int:
    """What the holding is worth at a round's price (an input to a mark, never its default)."""
    return int((share * Decimal(post_money_fen)).to_integral_value())


def share_percent(share: Decimal) -> Decimal:
    """A share as a percentage to one decimal (0.185 → 18.5), half up, in Decimal throughout."""
    return (Decimal(share) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
