"""The method registry: `method.name` in a recipe → a Method (builders/methods/base.py).

Built-in methods are listed here; tests and plug-ins add theirs with `register`, through the same door.
"""

from __future__ import annotations

from builders.judge import Check
from builders.methods.base import Context, Method, Unit, unit_seed
from builders.methods.creator import CREATOR as _CREATOR
from builders.methods.roles import Roles as _Roles
from builders.methods.ste import METHOD as _STE

REGISTRY: dict[str, Method] = {}


def register(method: Method) -> Method:
    REGISTRY[method.name] = method
    return method


def get(name: str) -> Method:
    return REGISTRY[name]


for _method in (_STE, _CREATOR(), _Roles()):
    register(_method)

__all__ = ["REGISTRY", "register", "get", "Method", "Unit", "Context", "Check", "unit_seed"]
