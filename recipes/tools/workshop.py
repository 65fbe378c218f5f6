"""Example of the Python loader: typed, documented functions and one stateful environment.

Recipe entry:  tools: [{python: tools/workshop.py}]   (or include: [names] to pick some)

Every public function with type hints and a docstring becomes a tool; so does every public method
of a public class (a stateful environment: one instance per episode, kept across that episode's
calls, never shared with another episode). The three docstring styles are all understood.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class Ingredient(TypedDict):
    """One ingredient of a recipe.

    Attributes:
        name: e.g. "flour"
        grams: the amount in grams
    """
    name: str
    grams: float


def scale_recipe(ingredients: list[Ingredient], servings: int, new_servings: int) -> list[Ingredient]:
    """Scale a cooking recipe's ingredient amounts from one number of servings to another.

    Args:
        ingredients: the ingredients and their amounts for `servings` people
        servings: how many people the recipe is written for
        new_servings: how many people to cook for

    Returns:
        The ingredients with amounts scaled, rounded to 0.1 g.
    """
    if servings < 1 or new_servings < 1:
        raise ValueError("servings must be at least 1")
    factor = new_servings / servings
    return [{"name": i["name"], "grams": round(i["grams"] * factor, 1)} for i in ingredients]


def shipping_cost(weight_kg: float, zone: Literal["domestic", "europe", "world"], express: bool = False) -> dict:
    """Price a parcel by weight and destination zone.

    Parameters
    ----------
    weight_kg : float
        The parcel's weight in kilograms, up to 30.
    zone : str
        Where it goes.
    express : bool
        Next-day delivery, at twice the price.

    Returns
    -------
    dict
        The price in euros and the delivery days.
    """
    if not 0 < weight_kg <= 30:
        raise ValueError("weight_kg must be more than 0 and at most 30")
    base = {"domestic": 4.0, "europe": 9.0, "world": 18.0}[zone]
    price = base + 1.5 * weight_kg
    days = {"domestic": 2, "europe": 4, "world": 8}[zone]
    return {"price_eur": round(price * (2 if express else 1), 2), "days": 1 if express else days}


def word_count(text: str, unique: bool = False) -> int:
    """Count the words of a text.

    :param text: the text
    :param unique: count each distinct word (case-insensitive) once
    :returns: the number of words
    """
    words = text.split()
    return len({w.lower() for w in words}) if unique else len(words)


class FileSystem:
    """A small in-memory file system: files are paths to text, folders exist implicitly. It starts
    as a user's home with three files, so that reading one is something a person asks for."""

    HOME = {"/notes/todo.txt": "call the dentist\nrenew passport\nwater the plants\n",
            "/notes/shopping.txt": "milk\neggs\nbread\n",
            "/docs/readme.txt": "Project Aurora: a weather station on the roof, logging every 10 minutes.\n"}

    def __init__(self) -> None:
        self.files: dict[str, str] = dict(self.HOME)

    def _norm(self, path: str) -> str:
        parts = [p for p in path.strip().split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            raise ValueError(f"invalid path {path!r}")
        return "/" + "/".join(parts)

    def write_file(self, path: str, text: str, append: bool = False) -> dict:
        """Create or overwrite a text file (or append to it).

        Args:
            path: e.g. "/notes/todo.txt"
            text: the content to write
            append: add to the end instead of replacing
        """
        p = self._norm(path)
        self.files[p] = (self.files.get(p, "") if append else "") + text
        return {"path": p, "size": len(self.files[p])}

    def read_file(self, path: str) -> str:
        """Read a text file. Fails if it does not exist. The file system starts with
        /notes/todo.txt, /notes/shopping.txt and /docs/readme.txt.

        Args:
            path: the file's path, e.g. "/notes/todo.txt"
        """
        p = self._norm(path)
        if p not in self.files:
            raise FileNotFoundError(f"no such file: {p}")
        return self.files[p]

    def list_files(self, folder: str = "/") -> list[str]:
        """List the files under a folder, sorted.

        Args:
            folder: e.g. "/notes"; "/" lists everything
        """
        prefix = "/" if folder.strip() in ("", "/") else self._norm(folder) + "/"
        return sorted(p for p in self.files if p.startswith(prefix))

    def delete_file(self, path: str) -> dict:
        """Delete a file. Fails if it does not exist.

        Args:
            path: the file's path
        """
        p = self._norm(path)
        if self.files.pop(p, None) is None:
            raise FileNotFoundError(f"no such file: {p}")
        return {"deleted": p, "remaining": len(self.files)}
