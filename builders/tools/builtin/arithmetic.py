"""Arithmetic and statistics: an expression calculator, descriptive statistics, regression, number theory.

Every public function here is a built-in tool (see builders/tools/catalogue.py); the sandbox runs
it. Bad input raises ValueError with a clear message, which the sandbox reports as an error.
"""

from __future__ import annotations

import ast
import math
import operator
import statistics
from typing import Literal, TypedDict

from builders.tools.pyfuncs import tool

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCS = {
    "sqrt": math.sqrt, "log": math.log, "log10": math.log10, "exp": math.exp,
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "abs": abs, "round": round,
    "floor": math.floor, "ceil": math.ceil, "min": min, "max": max,
}
_CONSTS = {"pi": math.pi, "e": math.e}


@tool("1", description=(
    "Evaluate an arithmetic expression. Supports + - * / // % ** and parentheses, "
    "the functions sqrt, log, log10, exp, sin, cos, tan, abs, round, floor, ceil, min, max "
    "and the constants pi and e. Fails on anything else or on division by zero."),
    params={"expression": {"minLength": 1, "maxLength": 200, "description": "e.g. '(12.5 * 4) / 3' or 'sqrt(2) * pi'"}},
    examples=[{"arguments": {"expression": "(12.5 * 4) / 3"}, "result": 16.666666666666668}])
def calculator(expression: str) -> float | int:
    """Evaluate an arithmetic expression (+ - * / // % **, parentheses, sqrt, log, sin, pi …)."""
    try:
        tree = ast.parse(expression.replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not an arithmetic expression: {expression!r}") from exc

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 1000:
                raise ValueError("exponent too large")
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](ev(node.operand))
        if isinstance(node, ast.Name) and node.id in _CONSTS:
            return _CONSTS[node.id]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS and not node.keywords:
            return _FUNCS[node.func.id](*[ev(a) for a in node.args])
        raise ValueError(f"unsupported element in expression: {ast.dump(node)[:60]}")

    try:
        result = ev(tree)
    except ZeroDivisionError as exc:
        raise ValueError("division by zero") from exc
    except (OverflowError, TypeError) as exc:
        raise ValueError(f"cannot evaluate {expression!r}: {exc}") from exc
    except ValueError as exc:
        if "unsupported element" in str(exc) or "exponent" in str(exc):
            raise
        raise ValueError(f"math domain error in {expression!r}") from exc
    if isinstance(result, float) and result.is_integer() and abs(result) < 2**53:
        return int(result)
    return result




@tool("1", params={"numbers": {"minItems": 1, "maxItems": 1000}})
def describe_numbers(numbers: list[float]) -> dict:
    """Descriptive statistics of a list of numbers: count, sum, mean, median, mode, min, max, range,
    sample standard deviation and variance (those two need at least 2 numbers).

    Args:
        numbers: the values, e.g. [3, 1, 4, 1, 5]
    """
    if not numbers:
        raise ValueError("numbers must not be empty")
    out = {"count": len(numbers), "sum": _r(math.fsum(numbers)), "mean": _r(statistics.fmean(numbers)),
           "median": _r(statistics.median(numbers)), "mode": statistics.multimode(numbers)[:5],
           "min": min(numbers), "max": max(numbers), "range": _r(max(numbers) - min(numbers)),
           "stdev": None, "variance": None}
    if len(numbers) > 1:
        out["stdev"] = _r(statistics.stdev(numbers))
        out["variance"] = _r(statistics.variance(numbers))
    return out


@tool("1", params={"numbers": {"minItems": 1, "maxItems": 1000}, "p": {"minimum": 0, "maximum": 100}})
def percentile(numbers: list[float], p: float, method: Literal["linear", "nearest", "lower", "higher"] = "linear") -> dict:
    """The p-th percentile (0-100) of a list of numbers, e.g. p=50 is the median.

    Args:
        numbers: the values
        p: the percentile, from 0 to 100
        method: how to pick between two neighbouring values
    """
    if not numbers:
        raise ValueError("numbers must not be empty")
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    data = sorted(numbers)
    pos = (len(data) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    if method == "lower":
        value = data[lo]
    elif method == "higher":
        value = data[hi]
    elif method == "nearest":
        value = data[int(math.floor(pos + 0.5))]
    else:
        value = data[lo] + (data[hi] - data[lo]) * (pos - lo)
    return {"p": p, "value": _r(value), "method": method, "count": len(data)}


class Point(TypedDict):
    """A data point.

    Attributes:
        x: the input value
        y: the observed value
    """
    x: float
    y: float


@tool("1", params={"points": {"minItems": 2, "maxItems": 1000}})
def linear_regression(points: list[Point], predict_x: float | None = None) -> dict:
    """Fit a straight line y = slope * x + intercept to points by least squares; gives r_squared, and
    the predicted y for predict_x when given. Fails if all x are equal.

    Args:
        points: at least two points, e.g. [{"x": 1, "y": 2}, {"x": 2, "y": 4}]
        predict_x: an x at which to predict y
    """
    if len(points) < 2:
        raise ValueError("need at least two points")
    xs = [float(p["x"]) for p in points]
    ys = [float(p["y"]) for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        raise ValueError("all x values are equal: the slope is undefined")
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys))
    syy = math.fsum((y - my) ** 2 for y in ys)
    slope = sxy / sxx
    intercept = my - slope * mx
    r2 = 1.0 if syy == 0 else sxy * sxy / (sxx * syy)
    out = {"slope": _r(slope), "intercept": _r(intercept), "r_squared": _r(r2), "n": len(points)}
    if predict_x is not None:
        out["predicted_y"] = _r(slope * predict_x + intercept)
    return out


@tool("1", params={"n": {"minimum": 2, "maximum": 1_000_000_000_000}})
def prime_factors(n: int) -> dict:
    """Factorise a whole number (2 to 10^12) into primes, and say whether it is prime.

    Args:
        n: the number to factorise, e.g. 360
    """
    if not 2 <= n <= 10**12:
        raise ValueError("n must be between 2 and 10^12")
    factors, m, d = [], n, 2
    while d * d <= m:
        while m % d == 0:
            factors.append(d)
            m //= d
        d += 1 if d == 2 else 2
    if m > 1:
        factors.append(m)
    powers = {}
    for f in factors:
        powers[str(f)] = powers.get(str(f), 0) + 1
    return {"n": n, "factors": factors, "powers": powers, "is_prime": factors == [n]}


@tool("1", params={"numbers": {"minItems": 2, "maxItems": 50}})
def gcd_lcm(numbers: list[int]) -> dict:
    """Greatest common divisor and least common multiple of two or more whole numbers.

    Args:
        numbers: e.g. [12, 18, 30]
    """
    if len(numbers) < 2:
        raise ValueError("give at least two numbers")
    if any(n == 0 for n in numbers):
        raise ValueError("numbers must not be zero")
    return {"numbers": numbers, "gcd": math.gcd(*numbers), "lcm": math.lcm(*numbers)}


def _r(x: float) -> float | int:
    x = round(x, 10)
    return int(x) if float(x).is_integer() and abs(x) < 2**53 else x
