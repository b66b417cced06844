"""Money is integer fen (分) everywhere; these helpers convert and show it the Chinese way.

Chinese readers read amounts in 万 and 亿; a page in English shows the same amounts in millions
and billions (¥865万 → ¥8.65M, ¥3.2亿 → ¥320M, ¥10亿 → ¥1B), chosen by the active language.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from zaofeng.language import english_active

FEN_PER_YUAN = 100
YI = 100_000_000  # 亿, in yuan
WAN = 10_000  # 万, in yuan
BILLION = 1_000_000_000
MILLION = 1_000_000
# The largest amount a typed figure may be: ¥1万亿, above anything the program or the fund holds,
# and far inside a BigIntegerField (a larger one is a DataError on PostgreSQL, an OverflowError
# on SQLite).
AMOUNT_MAX_FEN = 10**14


def _large(value: Decimal, places: int) -> str | None:
    """A large amount or count in the active language's units, or None below them."""
    if english_active():
        if value >= BILLION:
            return f"{_trim(value / BILLION, places)}B"
        if value >= MILLION:
            return f"{_trim(value / MILLION, places)}M"
        return None
    if value >= YI:
        return f"{_trim(value / YI, places)}亿"
    if value >= WAN:
        return f"{_trim(value / WAN, places)}万"
    return None


class MoneyError(ValueError):
    pass


class AmountTooLarge(MoneyError):
    pass


def yuan_to_fen(yuan: Decimal | int | str, *, max_fen: int | None = None) -> int:
    """Converts yuan to fen, refusing floats and fractions of a fen, and (given max_fen) an
    amount larger than max_fen either way."""
    if isinstance(yuan, float):
        raise MoneyError("Money must not be a float; pass Decimal, int or str.")
    try:
        amount = Decimal(str(yuan).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise MoneyError(f"{yuan!r} is not an amount of money.") from exc
    if not amount.is_finite():
        raise MoneyError(f"{yuan!r} is not an amount of money.")
    # Compared before multiplying: 1e999999 yuan would overflow the decimal context.
    if max_fen is not None and amount.copy_abs() > Decimal(max_fen) / FEN_PER_YUAN:
        raise AmountTooLarge(f"{yuan!r} is more than {max_fen} fen.")
    try:
        fen = amount * FEN_PER_YUAN
    except ArithmeticError as exc:  # decimal.Overflow
        raise MoneyError(f"{yuan!r} is not an amount of money.") from exc
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
    body = _large(yuan, places)
    if body is None:
        whole = yuan.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        body = f"{whole:,.2f}".rstrip("0").rstrip(".")
    return f"{sign}¥{body}"


def format_count_cn(count: int, *, places: int = 2) -> str:
    """Shows a count (impressions, orders) with 万 and 亿: 1000000000 → 10亿."""
    sign = "-" if count < 0 else ""
    value = Decimal(abs(count))
    large = _large(value, places)
    return f"{sign}{large}" if large else f"{sign}{int(value):,}"
