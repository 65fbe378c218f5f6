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


def evaluation_parts():
    """What `toolmint eval` reads of a dataset (builders/evaluation/): STE's row kind (a request and
    its call), its in-context demonstration kind, and the retriever that picks demonstrations. Named
    here, the registry, so no module outside a method's package names the method."""
    from builders.methods.ste.icl import nearest
    from builders.methods.ste.records import Demonstration, Example

    return Example, Demonstration, nearest
