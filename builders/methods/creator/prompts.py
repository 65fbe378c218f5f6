"""CREATOR's prompts, short and with worked examples as earlier chat turns: a 135M model copies the
shape of an example far better than it follows an instruction. The examples are the paper's idea
(a general, documented function first; then a call with this problem's numbers) in our words.

The worked examples (`EXAMPLES`) solve skills that are in no shipped problem group — a problem is
never shown its own skill's tool, let alone its answer — one per category, so a date problem sees
how `datetime` is used and a table problem how a table becomes a dict. Each example's tool and call
are in the shape the grammars (grammars.py) allow, and tests run them in the sandbox against their
stated answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from builders import chat

CREATION = ("Write one Python function, with type hints and a docstring, that solves problems like "
            "this one in general. Do not use this problem's numbers in the function.")
DECISION = ('Call the tool with this problem\'s numbers. Print the result as: print("Final Answer:", value)')
RECTIFICATION = "The code failed. Fix it. Write the whole corrected code: the function and the call."
REPAIR = "The code failed. Write the function again, fixed."
PINNED = 2  # every prompt opens with the same worked exchange: a pinned prefix (builders/llm/prefixes.py)


@dataclass(frozen=True)
class Example:
    skill: str       # a skill in no shipped group (tests check it)
    category: str
    problem: str
    tool: str        # the function (grammar shape: typed, one-line docstring, final return)
    call: str        # one line: print("Final Answer:", name(keyword=literal, ...))
    answer: str      # what the call prints (tests run it)


EXAMPLES = (
    Example("rectangle_perimeter", "arithmetic",
            "A garden is 12 m long and 5 m wide. How many meters of fence go around it?",
            'def rectangle_perimeter(length: float, width: float) -> float:\n'
            '    """Perimeter of a rectangle with the given length and width."""\n'
            '    total = 2 * (length + width)\n'
            '    return total\n',
            'print("Final Answer:", rectangle_perimeter(length=12, width=5))\n', "34"),
    Example("line_value", "algebra",
            "A line has slope 3 and y-intercept -2. What is y when x = 4?",
            'def line_value(slope: float, intercept: float, x: float) -> float:\n'
            '    """Value y = slope * x + intercept of a straight line at x."""\n'
            '    y = slope * x + intercept\n'
            '    return y\n',
            'print("Final Answer:", line_value(slope=3, intercept=-2, x=4))\n', "10"),
    Example("table_total", "tables",
            "Table:\nName | Stamps\nAnna | 12\nLuis | 30\nMei | 7\n\nHow many stamps do they have in all?",
            'def table_total(values: dict[str, float]) -> float:\n'
            '    """Sum of the numbers in one column of a table, given as name -> number."""\n'
            '    total = sum(values.values())\n'
            '    return total\n',
            'print("Final Answer:", table_total(values={"Anna": 12, "Luis": 30, "Mei": 7}))\n', "49"),
    Example("day_of_year", "dates",
            "What day of the year is March 3, 2021?",
            'from datetime import date\n'
            'def day_of_year(year: int, month: int, day: int) -> int:\n'
            '    """Position of a date in its year, counting January 1 as day 1."""\n'
            '    start = date(year, 1, 1)\n'
            '    return (date(year, month, day) - start).days + 1\n',
            'print("Final Answer:", day_of_year(year=2021, month=3, day=3))\n', "62"),
    Example("inches_to_cm", "units",
            "How many centimeters is 12 inches? Round to two decimal places.",
            'def inches_to_cm(inches: float) -> float:\n'
            '    """Convert a length in inches to centimeters, rounded to two decimals."""\n'
            '    cm = inches * 2.54\n'
            '    return round(cm, 2)\n',
            'print("Final Answer:", inches_to_cm(inches=12))\n', "30.48"),
)
_BY_CATEGORY = {e.category: e for e in EXAMPLES}


def examples_for(category: str) -> list[Example]:
    """Two worked examples: a fixed one first (its prompt prefix stays in the KV cache), then the
    problem's own category's (another skill), or a second fixed one for other categories."""
    first = EXAMPLES[0]
    second = _BY_CATEGORY.get(category) or EXAMPLES[2]
    return [first] if second is first else [first, second]


def _fenced(code: str) -> str:
    return f"```python\n{code.strip()}\n```"


def creation(problem_text: str, feedback: str = "", category: str = "", fenced: bool = True) -> list[dict]:
    """Messages asking for a general tool (with what was wrong with the last one, on a retry).
    `fenced=False`: the examples' replies are bare code, as a grammar-constrained reply is."""
    ask = f"{CREATION}\n\nProblem: {problem_text}"
    if feedback:
        ask += f"\n\nYour last function was not usable: {feedback}"
    out = []
    for e in examples_for(category):
        out += [chat.user(f"{CREATION}\n\nProblem: {e.problem}"),
                chat.assistant(_fenced(e.tool) if fenced else e.tool.strip())]
    return out + [chat.user(ask)]


def decision(problem_text: str, tool_code: str, category: str = "", fenced: bool = True) -> list[dict]:
    """Messages asking for the code that calls the tool for this problem."""
    def ask(tool, problem):
        return f"Tool:\n{_fenced(tool)}\n\nProblem: {problem}\n\n{DECISION}"
    out = []
    for e in examples_for(category):
        out += [chat.user(ask(e.tool, e.problem)), chat.assistant(_fenced(e.call) if fenced else e.call.strip())]
    return out + [chat.user(ask(tool_code, problem_text))]


_BROKEN_TOOL = ('def rectangle_perimeter(length: float, width: float) -> float:\n'
                '    """Perimeter of a rectangle with the given length and width."""\n'
                '    return 2 * (length + widht)\n')
_BROKEN_CALL = 'print("Final Answer:", rectangle_perimeter(length=12, width=5))'
_BROKEN_ERROR = ("calling code line 1: print(\"Final Answer:\", rectangle_perimeter(length=12, width=5))\n"
                 "tool line 3, in rectangle_perimeter: return 2 * (length + widht)\n"
                 "NameError: name 'widht' is not defined")
_FIXED_TOOL = EXAMPLES[0].tool


def rectification(problem_text: str, tool_code: str, decision_code: str, error: str) -> list[dict]:
    """Messages showing the failed program and its cleaned error, asking for a repaired one."""
    def ask(code, problem, err):
        return f"Problem: {problem}\n\n{code}\n\nError:\n{err}\n\n{RECTIFICATION}"
    example = _fenced(f"{_BROKEN_TOOL}\n{_BROKEN_CALL}")
    code = f"```python\n{tool_code}\n\n{decision_code}\n```"
    return [chat.user(ask(example, EXAMPLES[0].problem, _BROKEN_ERROR)),
            chat.assistant(_fenced(f"{_FIXED_TOOL}\n{_BROKEN_CALL}")),
            chat.user(ask(code, problem_text, error))]


def repair(problem_text: str, tool_code: str, decision_code: str, error: str) -> list[dict]:
    """Messages asking for the tool alone, repaired (grammar mode: the call is decided again after)."""
    def ask(code, problem, err):
        return f"Problem: {problem}\n\n{code}\n\nError:\n{err}\n\n{REPAIR}"
    example = _fenced(f"{_BROKEN_TOOL}\n{_BROKEN_CALL}")
    code = f"```python\n{tool_code.strip()}\n\n{decision_code.strip()}\n```"
    return [chat.user(ask(example, EXAMPLES[0].problem, _BROKEN_ERROR)), chat.assistant(_FIXED_TOOL.strip()),
            chat.user(ask(code, problem_text, error))]
