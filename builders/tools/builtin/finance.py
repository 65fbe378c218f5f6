"""Finance formulas: loans, compound interest, cash-flow analysis (NPV, IRR), percent change, bills."""

from __future__ import annotations

import math
from typing import Literal, TypedDict

from builders.tools.pyfuncs import tool


def _money(x: float) -> float:
    return round(x + 0.0, 2)


@tool("1", params={"principal": {"exclusiveMinimum": 0, "maximum": 1e12},
                   "annual_rate_percent": {"minimum": 0, "maximum": 100},
                   "years": {"minimum": 1, "maximum": 50}})
def loan_payment(principal: float, annual_rate_percent: float, years: int,
                 payments_per_year: Literal[12, 4, 1] = 12, include_schedule: bool = False) -> dict:
    """The fixed payment of an amortised loan, with the total paid and total interest; optionally the
    schedule of payments (interest, principal, balance), at most 600 rows.

    Args:
        principal: the amount borrowed
        annual_rate_percent: the yearly interest rate in percent, e.g. 4.5
        years: the loan's term in years
        payments_per_year: 12 monthly, 4 quarterly or 1 yearly
        include_schedule: also return every payment's split
    """
    if principal <= 0:
        raise ValueError("principal must be positive")
    if not 0 <= annual_rate_percent <= 100:
        raise ValueError("annual_rate_percent must be 0 to 100")
    n = years * payments_per_year
    if not 1 <= n <= 600:
        raise ValueError("the loan must have 1 to 600 payments")
    r = annual_rate_percent / 100 / payments_per_year
    payment = principal / n if r == 0 else principal * r / (1 - (1 + r) ** -n)
    out = {"payment": _money(payment), "payments": n, "total_paid": _money(payment * n),
           "total_interest": _money(payment * n - principal)}
    if include_schedule:
        balance, rows = principal, []
        for k in range(1, n + 1):
            interest = balance * r
            balance -= payment - interest
            rows.append({"n": k, "interest": _money(interest), "principal": _money(payment - interest),
                         "balance": _money(max(balance, 0.0))})
        out["schedule"] = rows
    return out


@tool("1", params={"principal": {"minimum": 0, "maximum": 1e12},
                   "annual_rate_percent": {"minimum": -100, "maximum": 100},
                   "years": {"minimum": 0, "maximum": 100},
                   "contribution_per_period": {"minimum": 0, "maximum": 1e9}})
def compound_interest(principal: float, annual_rate_percent: float, years: float,
                      compounds_per_year: Literal[1, 2, 4, 12, 365] = 12, contribution_per_period: float = 0) -> dict:
    """Grow a sum at compound interest, optionally adding a contribution at the end of each compounding
    period; gives the final balance, the total put in and the interest earned.

    Args:
        principal: the starting amount
        annual_rate_percent: the yearly rate in percent, e.g. 5
        years: how long, in years (may be fractional)
        compounds_per_year: compounding periods per year
        contribution_per_period: amount added each period
    """
    if principal < 0 or contribution_per_period < 0:
        raise ValueError("amounts must not be negative")
    r = annual_rate_percent / 100 / compounds_per_year
    n = years * compounds_per_year
    growth = (1 + r) ** n
    balance = principal * growth
    if contribution_per_period:
        balance += contribution_per_period * (n if r == 0 else (growth - 1) / r)
    invested = principal + contribution_per_period * n
    return {"final_balance": _money(balance), "total_invested": _money(invested),
            "interest_earned": _money(balance - invested), "periods": round(n, 4)}


def _npv(rate: float, flows: list[float]) -> float:
    return math.fsum(f / (1 + rate) ** t for t, f in enumerate(flows))


@tool("1", params={"cash_flows": {"minItems": 2, "maxItems": 200},
                   "discount_rate_percent": {"minimum": -99, "maximum": 1000}})
def cash_flow_analysis(cash_flows: list[float], discount_rate_percent: float) -> dict:
    """Net present value, internal rate of return and payback period of yearly cash flows; the first
    flow is now (usually a negative investment). IRR is null when the flows never change sign.

    Args:
        cash_flows: one amount per year, e.g. [-1000, 300, 400, 500]
        discount_rate_percent: the yearly discount rate in percent
    """
    if len(cash_flows) < 2:
        raise ValueError("give at least two cash flows")
    rate = discount_rate_percent / 100
    if rate <= -1:
        raise ValueError("discount rate must be above -100%")
    irr = None
    if min(cash_flows) < 0 < max(cash_flows):
        lo, hi = -0.9999, 10.0
        f_lo, f_hi = _npv(lo, cash_flows), _npv(hi, cash_flows)
        if f_lo * f_hi < 0:
            for _ in range(200):
                mid = (lo + hi) / 2
                f_mid = _npv(mid, cash_flows)
                if f_lo * f_mid <= 0:
                    hi = mid
                else:
                    lo, f_lo = mid, f_mid
            irr = round((lo + hi) / 2 * 100, 4)
    payback, total = None, 0.0
    for t, f in enumerate(cash_flows):
        before = total
        total += f
        if t > 0 and before < 0 <= total:
            payback = round(t - 1 + (-before / f), 4)
            break
    return {"npv": _money(_npv(rate, cash_flows)), "irr_percent": irr, "payback_years": payback,
            "total": _money(math.fsum(cash_flows))}


@tool("1")
def percent_change(old: float, new: float) -> dict:
    """The change from an old value to a new one, absolute and in percent. Fails when old is 0.

    Args:
        old: the earlier value
        new: the later value
    """
    if old == 0:
        raise ValueError("percent change from 0 is undefined")
    return {"change": round(new - old, 10), "percent": round((new - old) / abs(old) * 100, 4),
            "direction": "up" if new > old else "down" if new < old else "unchanged"}


class BillItem(TypedDict):
    """One item on a bill.

    Attributes:
        person: who pays for it
        price: its price
    """
    person: str
    price: float


@tool("1", params={"items": {"minItems": 1, "maxItems": 100},
                   "tip_percent": {"minimum": 0, "maximum": 100},
                   "tax_percent": {"minimum": 0, "maximum": 100}})
def split_bill(items: list[BillItem], tip_percent: float = 0, tax_percent: float = 0) -> dict:
    """Split a bill by who had what: each person's share of the items plus the same proportion of tax
    and tip, rounded to cents.

    Args:
        items: the items, e.g. [{"person": "Ana", "price": 12.5}, {"person": "Bo", "price": 9}]
        tip_percent: tip on the pre-tax subtotal, in percent
        tax_percent: tax on the subtotal, in percent
    """
    if not items:
        raise ValueError("the bill has no items")
    shares: dict[str, float] = {}
    for item in items:
        if item["price"] < 0:
            raise ValueError(f"negative price for {item['person']!r}")
        shares[item["person"]] = shares.get(item["person"], 0.0) + item["price"]
    subtotal = math.fsum(shares.values())
    factor = 1 + tip_percent / 100 + tax_percent / 100
    return {"subtotal": _money(subtotal), "tax": _money(subtotal * tax_percent / 100),
            "tip": _money(subtotal * tip_percent / 100), "total": _money(subtotal * factor),
            "per_person": {p: _money(v * factor) for p, v in sorted(shares.items())}}
