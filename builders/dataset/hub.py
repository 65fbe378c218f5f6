"""SQL over a dataset on the Hub (`hf://datasets/NS/NAME[@REV]`) as over a local folder: one view per config.

DuckDB's own `hf://` needs its httpfs extension, which the wheel lacks offline, and ignores HF_ENDPOINT;
huggingface_hub's HfFileSystem registered with the connection reads through the same endpoint, token
and revision rules as `datasets` and `toolmint publish`. Every view reads one commit (the revision is
resolved to its sha once), so a publish in the middle of a query cannot mix two versions.

Configs are those the card's YAML lists (`configs: [{config_name, data_files}]`), else the folders that
hold Parquet files — the layout `toolmint run` writes.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import duckdb

from builders.errors import UserError

_URL = re.compile(r"^hf://datasets/(?P<repo>[^/@]+/[^/@]+)(?:@(?P<rev>[^/]+))?/?$")


def is_hub_url(target: str) -> bool:
    return str(target).startswith("hf://")


def parse_hub_url(url: str) -> tuple[str, str | None]:
    """`hf://datasets/NS/NAME[@REV]` → (repo id, revision or None)."""
    match = _URL.match(url)
    if not match:
        raise UserError(f"{url}: expected hf://datasets/NAMESPACE/NAME or hf://datasets/NAMESPACE/NAME@REVISION")
    return match["repo"], match["rev"]


def connect_hub(url: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per config of the Hub dataset at `url`."""
    from huggingface_hub import HfApi, HfFileSystem
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    repo, revision = parse_hub_url(url)
    api = HfApi()
    try:
        sha = api.dataset_info(repo, revision=revision).sha
        fs = HfFileSystem(skip_instance_cache=True)
        base = f"datasets/{repo}@{quote(sha, safe='')}"
        configs = _card_configs(fs, base) or _folder_configs(fs, base)
    except RevisionNotFoundError:
        raise UserError(f"{url}: no revision {revision!r} in {repo} on {api.endpoint}") from None
    except RepositoryNotFoundError:
        raise UserError(f"{url}: no dataset {repo} on {api.endpoint}, or not visible with this token "
                        "(set HF_TOKEN or run `hf auth login` for a private one)") from None
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise UserError(f"{url}: the Hub at {api.endpoint} answered {status}") from None
    except OSError as exc:
        raise UserError(f"{url}: cannot reach {api.endpoint} ({type(exc).__name__})") from None
    if not configs:
        raise UserError(f"{url}: holds no Parquet files under <config>/ folders")
    con = duckdb.connect(":memory:")
    con.register_filesystem(fs)
    for name, files in configs.items():
        listing = ", ".join("'" + f"hf://{f}".replace("'", "''") + "'" for f in files)
        view = name.replace('"', '""')
        con.execute(f'CREATE VIEW "{view}" AS SELECT * FROM read_parquet([{listing}], union_by_name = true)')
    return con


def _card_configs(fs, base: str) -> dict[str, list[str]]:
    """{config name: files} from the card's YAML `configs`, or {} when the card has none."""
    import yaml

    try:
        text = fs.read_text(f"{base}/README.md", encoding="utf-8")
    except FileNotFoundError:
        return {}
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, re.S)
    try:
        meta = yaml.safe_load(match.group(1)) if match else None
    except yaml.YAMLError:
        return {}
    out: dict[str, list[str]] = {}
    configs = meta.get("configs") if isinstance(meta, dict) else None
    for config in configs if isinstance(configs, list) else []:
        if not isinstance(config, dict) or not config.get("config_name"):
            continue
        data_files = config.get("data_files") or []
        if isinstance(data_files, (str, dict)):
            data_files = [data_files]
        patterns = []
        for item in data_files:
            paths = item.get("path", []) if isinstance(item, dict) else item
            patterns.extend([paths] if isinstance(paths, str) else paths)
        files = sorted({f for pattern in patterns for f in fs.glob(f"{base}/{pattern}") if f.endswith(".parquet")})
        if files:
            out[str(config["config_name"])] = files
    return out


def _folder_configs(fs, base: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in sorted(fs.glob(f"{base}/*/*.parquet")):
        folder = f[len(base) + 1:].split("/")[0]
        if not folder.startswith("."):
            out.setdefault(folder, []).append(f)
    return out
