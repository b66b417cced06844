"""Money is integer fen (分) everywhere; these helpers convert and show it the Chinese way."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100
YI = 100_000_000  # 亿, in yuan
WAN = 10_000  # 万, in yuan


class MoneyError(ValueError):
    pass


def yuan_to_fen(yuan: Decimal | int | str) -> int:
    """Converts yuan to fen, refusing floats and fractions of a fen."""
    if isinstance(yuan, float):
        raise MoneyError("Money must not be a float; pass Decimal, int or str.")
    try:
        amount = Decimal(str(yuan).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise MoneyError(f"{yuan!r} is not an amount of money.") from exc
    if not amount.is_finite():
        raise MoneyError(f"{yuan!r} is not an amount of money.")
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise MoneyError(f"{yuan!r} has more precision than one fen.")
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def _trim(number: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    text = f"{number.quantize(quantum, rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_fen_cn(fen: int, *, places: int = 2) -> str:
    """Shows fen as Chinese readers read amounts: ¥3.2亿, ¥10亿, ¥865万, ¥9,500.

    Amounts from 1亿 up are in 亿, from 1万 up in 万, smaller ones in yuan with separators.
    """
    sign = "-" if fen < 0 else ""
    yuan = Decimal(abs(fen)) / FEN_PER_YUAN
    if yuan >= YI:
        body = f"{_trim(yuan / YI, places)}亿"
    elif yuan >= WAN:
        body = f"{_trim(yuan / WAN, places)}万"
    else:
        whole = yuan.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        body = f"{whole:,.2f}".rstrip("0").rstrip(".")
    return f"{sign}¥{body}"


def format_count_cn(count: int, *, places: int = 2) -> str:
    """Shows a count (impressions, orders) with 万 and 亿: 1000000000 → 10亿."""
    sign = "-" if count < 0 else ""
    value = Decimal(abs(count))
    if value >= YI:
        return f"{sign}{_trim(value / YI, places)}亿"
    if value >= WAN:
        return f"{sign}{_trim(value / WAN, places)}万"
    return f"{sign}{int(value):,}"
