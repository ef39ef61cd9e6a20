"""National Provider Identifier checks."""

from __future__ import annotations

__all__ = ["npi_problem", "with_check_digit"]


def npi_problem(npi: str) -> str | None:
    """Why `npi` is not a valid NPI (10 digits, Luhn check over the 80840 prefix), or None."""
    if len(npi) != 10 or not npi.isdigit():
        return f"NPI must be 10 digits, got {npi!r}"
    digits = [int(c) for c in "80840" + npi]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    if total % 10:
        return f"NPI {npi} fails the check digit"
    return None


def with_check_digit(first9: str) -> str:
    """Complete nine digits into a valid NPI by appending the Luhn check digit."""
    if len(first9) != 9 or not first9.isdigit():
        raise ValueError(f"need nine digits, got {first9!r}")
    for last in "0123456789":
        if npi_problem(first9 + last) is None:
            return first9 + last
    raise AssertionError("unreachable: one check digit always fits")
