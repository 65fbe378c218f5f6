"""The built-in catalogue's functions, one module per domain (see builders/tools/catalogue.py).

The three first tools are also importable from here, as before: targets written as
{"module": "builders.tools.builtin", "function": "calculator"} keep working.
"""

from builders.tools.builtin.arithmetic import calculator
from builders.tools.builtin.dates import date_arithmetic
from builders.tools.builtin.units import UNIT_NAMES, convert_units

DOMAINS = ("arithmetic", "units", "dates", "text", "finance", "geography", "sql", "knowledge", "records")

__all__ = ["calculator", "convert_units", "date_arithmetic", "UNIT_NAMES", "DOMAINS"]
