"""Qualifiers: words of a request that narrow what it asks for — how a distance is travelled ("by
driving"), when a value holds ("in real time"), what a count or a price includes ("inclusive",
"including tax"). A tool that does not know the qualifier answers another question: city_distance's
great-circle distance for "What is the distance from Paris to Tokyo by driving?" (a 1.5B row said it
was the driving distance). A tool knows a qualifier when its documentation (name, description,
parameters and their choices) or the call's arguments say one of the qualifier's words; nothing here
names a tool.

    unknown(request, known)   the qualifiers the request states that `known` never mentions
"""

from __future__ import annotations

import re

# name → (how a request states it, word beginnings of which one in `known` means the tool knows it)
# 'including' qualifies a count only when it names the count's ends ("including both dates", "including
# the end date"); "… for March 1, 2023, including its weekday, ISO week number, …" lists what is asked.
ENDS = r" (?:both|the (?:start|end|first|last|two)|start|end|today)\b"
COUNTING = {  # what a count includes (α-UMi's sub-requests: a later call may adjust the count instead)
    "inclusive": (rf"inclusive(?:ly)?|including{ENDS}", ("inclu",)),
    "exclusive": (rf"exclusive(?:ly)?|excluding{ENDS}", ("exclu",)),
}
RATE = r"(?! (?:of|at) \d)"  # "plus tax at 20 %": the call can take the stated rate
QUALIFIERS = {  # a single call: any 'including' / 'excluding' narrows what it is asked ("excluding books with …")
    "inclusive": (r"inclusive(?:ly)?|including", ("inclu",)),
    "exclusive": (r"exclusive(?:ly)?|excluding", ("exclu",)),
    # how a distance is travelled; "walk 5 km at 5 km/h" is arithmetic, not a route, so only these forms
    "by road": (r"by (?:car|road|bus|coach|truck|driving)|(?:driving|road) (?:distance|route)|drive (?:from|to|between)",
                ("driv", "road", "route")),
    "by rail": (r"by (?:train|rail)|(?:train|rail) (?:distance|route)", ("train", "rail", "route")),
    "on foot": (r"on foot|by (?:foot|walking|bike|bicycle|cycling)|(?:walking|cycling) (?:distance|route)",
                ("walk", "foot", "cycl", "bike", "route")),
    "live": (r"in real[- ]time|real[- ]time|right now|up[- ]to[- ]date|latest|current(?:ly)?",
             ("real time", "real-time", "live", "current", "latest", "now")),
    "tax": (rf"(?:including|incl\.?|with|plus|after|excluding|without) (?:the )?(?:sales )?(?:tax(?:es)?|vat){RATE}",
            ("tax", "vat")),
    "tip": (rf"(?:including|with|plus) (?:a |the )?tips?{RATE}", ("tip",)),
    "fees": (r"(?:including|with|plus) (?:all )?(?:the )?(?:fees?|charges?|shipping)", ("fee", "charge", "shipping")),
}


def unknown(request: str, known: str, qualifiers: dict = QUALIFIERS) -> list[str]:
    """The names of the qualifiers `request` states that `known` (a tool's documentation and the
    call's arguments, as text) says none of the words of."""
    text = known.lower()
    found = []
    for name, (pattern, words) in qualifiers.items():
        if re.search(rf"\b(?:{pattern})\b", request, re.I) and \
                not any(re.search(rf"(?<![a-z]){re.escape(w)}", text) for w in words):
            found.append(name)
    return found
