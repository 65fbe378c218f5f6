"""CREATOR's prompts, short and with worked examples as earlier chat turns: a 135M model copies the
shape of an example far better than it follows an instruction. The examples are the paper's idea
(a general, documented function first; then a call with this problem's numbers) in our words.
"""

from __future__ import annotations

from builders import chat

CREATION = ("Write one Python function, with type hints and a docstring, that solves problems like "
            "this one in general. Do not use this problem's numbers in the function.")
DECISION = ('Call the tool with this problem\'s numbers. Print the result as: print("Final Answer:", value)')
RECTIFICATION = "The code failed. Fix it. Write the whole corrected code: the function and the call."
REUSE = "Here is a tool that may help."

_EXAMPLE_PROBLEM = "A car travels 150 km in 3 hours. At that speed, how far does it go in 5 hours?"
_EXAMPLE_TOOL = '''```python
def distance_at_same_speed(distance: float, time: float, new_time: float) -> float:
    """Distance covered in new_time at the speed of distance / time.

    Args:
        distance: distance covered in the first trip
        time: time of the first trip
        new_time: time of the second trip
    """
    speed = distance / time
    return speed * new_time
```'''
_EXAMPLE_CALL = '''```python
answer = distance_at_same_speed(distance=150, time=3, new_time=5)
print("Final Answer:", answer)
```'''

_TABLE_PROBLEM = "Table:\nFruit | Price\napple | $0.50\npear | $0.75\n\nHow much do 4 apples and 2 pears cost?"
_TABLE_TOOL = '''```python
def total_cost(prices: dict[str, float], quantities: dict[str, int]) -> float:
    """Total cost of buying some quantity of each item at the given prices.

    Args:
        prices: price of one of each item
        quantities: how many of each item to buy
    """
    return sum(prices[item] * count for item, count in quantities.items())
```'''
_TABLE_CALL = '''```python
answer = total_cost(prices={"apple": 0.50, "pear": 0.75}, quantities={"apple": 4, "pear": 2})
print("Final Answer:", answer)
```'''


def creation(problem_text: str, feedback: str = "") -> list[dict]:
    """Messages asking for a general tool (with what was wrong with the last one, on a retry)."""
    ask = f"{CREATION}\n\nProblem: {problem_text}"
    if feedback:
        ask += f"\n\nYour last function was not usable: {feedback}"
    return [chat.user(f"{CREATION}\n\nProblem: {_EXAMPLE_PROBLEM}"), chat.assistant(_EXAMPLE_TOOL),
            chat.user(f"{CREATION}\n\nProblem: {_TABLE_PROBLEM}"), chat.assistant(_TABLE_TOOL),
            chat.user(ask)]


def decision(problem_text: str, tool_code: str) -> list[dict]:
    """Messages asking for the code that calls the tool for this problem."""
    def ask(tool, problem):
        return f"Tool:\n{tool}\n\nProblem: {problem}\n\n{DECISION}"
    return [chat.user(ask(_EXAMPLE_TOOL, _EXAMPLE_PROBLEM)), chat.assistant(_EXAMPLE_CALL),
            chat.user(ask(_TABLE_TOOL, _TABLE_PROBLEM)), chat.assistant(_TABLE_CALL),
            chat.user(ask(f"```python\n{tool_code}\n```", problem_text))]


_BROKEN = '''```python
def distance_at_same_speed(distance: float, time: float, new_time: float) -> float:
    """Distance covered in new_time at the speed of distance / time."""
    return distance / time * new_time

answer = distance_at_same_speed(150, 3)
print("Final Answer:", answer)
```'''
_BROKEN_ERROR = ("calling code line 1: answer = distance_at_same_speed(150, 3)\n"
                 "TypeError: distance_at_same_speed() missing 1 required positional argument: 'new_time'")
_FIXED = '''```python
def distance_at_same_speed(distance: float, time: float, new_time: float) -> float:
    """Distance covered in new_time at the speed of distance / time."""
    return distance / time * new_time

answer = distance_at_same_speed(150, 3, 5)
print("Final Answer:", answer)
```'''


def rectification(problem_text: str, tool_code: str, decision_code: str, error: str) -> list[dict]:
    """Messages showing the failed program and its cleaned error, asking for a repaired one."""
    def ask(code, problem, err):
        return f"Problem: {problem}\n\n{code}\n\nError:\n{err}\n\n{RECTIFICATION}"
    code = f"```python\n{tool_code}\n\n{decision_code}\n```"
    return [chat.user(ask(_BROKEN, _EXAMPLE_PROBLEM, _BROKEN_ERROR)), chat.assistant(_FIXED),
            chat.user(ask(code, problem_text, error))]
