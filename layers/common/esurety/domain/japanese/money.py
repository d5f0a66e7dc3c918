"""Yen amounts as printed in documents."""
from __future__ import annotations


def yen(amount: int) -> str:
    """`50,000,000 円`: digit groups and a space before the unit, as on the paper certificate."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amounts are integer yen")
    return f"{amount:,} 円"
