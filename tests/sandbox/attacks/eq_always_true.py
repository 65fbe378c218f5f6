"""Return an object that equals everything, hoping a checker does `result == expected`.
Expected: ok, but the value arrives as plain JSON (here its repr string), not as the object."""


class Liar:
    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


result = Liar()
