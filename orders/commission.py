"""The platform's commission on an order line: which rate applies, and its amount.

Pure functions (no database): checkout freezes their answers on each order line.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def commission_rate(
    *, shop_percent: Decimal | None, category_percent: Decimal | None, default: Decimal
) -> Decimal:
    """The first rate that is set: the shop's, the highest among the product's categories
    (`category_percent`), the platform's default. Percent, to 2 places."""
    for rate in (shop_percent, category_percent, default):
        if rate is not None:
            return Decimal(rate).quantize(CENT, rounding=ROUND_HALF_UP)
    raise ValueError("The platform's default commission rate is required.")


def commission_amount(*, line_total: Decimal, rate: Decimal) -> Decimal:
    """`rate` percent of `line_total`, rounded half-up to the kobo."""
    return (line_total * rate / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
