"""Read a published dataset back, as a user would, and print it as JSON (run in a subprocess).

    python -m tests.hub.readback NS/NAME LOCAL_FOLDER CONFIG...

prints {"datasets": {config: {"features": …, "rows": […]}}, "hub_sql": {config: rows}, "local_sql": {config: rows}}:
rows through `datasets.load_dataset(repo, config)` (JSON columns decoded by its Json feature), and the
same SQL through DuckDB over `hf://datasets/NS/NAME` (builders.dataset.hub) and over the local folder
(as builders.query reads it). HF_ENDPOINT etc. must be in the environment before this starts.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> None:
    repo, folder, *configs = argv
    import datasets

    datasets.config.USE_PARQUET_EXPORT = False  # the viewer's export lives on another host; stay on loopback
    datasets.disable_progress_bars()
    import duckdb

    from builders.dataset.hub import connect_hub

    out = {"datasets": {}, "hub_sql": {}, "local_sql": {}}
    hub, local = connect_hub(f"hf://datasets/{repo}"), duckdb.connect()
    for config in configs:  # as builders.query does over a local folder
        local.execute(f'CREATE VIEW "{config}" AS SELECT * FROM read_parquet(\'{folder}/{config}/*.parquet\', '
                      "union_by_name = true)")
    out["hub_views"] = sorted(r[0] for r in hub.execute("SHOW TABLES").fetchall())
    for config in configs:
        ds = datasets.load_dataset(repo, config)
        out["datasets"][config] = {"splits": sorted(ds), "features": str(ds["train"].features),
                                   "rows": sorted(ds["train"].to_list(), key=lambda r: r["id"])}
        sql = f'SELECT * FROM "{config}" ORDER BY id'
        out["hub_sql"][config] = [list(r) for r in hub.execute(sql).fetchall()]
        out["local_sql"][config] = [list(r) for r in local.execute(sql).fetchall()]
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
