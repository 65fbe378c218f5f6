"""Publish a dataset folder to the Hugging Face Hub: one commit holding only what changed.

What goes up is the Hub layout the writer made: `<config>/<split>-NNNNN-of-MMMMM.parquet`, README.md
(the card whose YAML lists the configs) and manifest.json. Hidden entries (`.parts/` resume markers,
`.<name>.<pid>.tmp` files of an interrupted write) never do.

A re-run compares each local file with the remote one before anything is sent: the sha256 of an LFS
file with its LFS oid, the git blob id of a small file with its blob id. Nothing changed → nothing is
uploaded and no commit is made. Parquet files on the Hub that the folder no longer has (a dataset
re-sharded from 4 to 5 shards) are deleted in the same commit, so `datasets` never mixes old shards in.

Uploading and committing are separate steps: a connection lost while uploading leaves no commit at
all (the objects already uploaded are kept by the Hub, so the re-run sends only the rest).

The token comes from huggingface_hub's usual sources (the `token` argument, HF_TOKEN, the token file of
`hf auth login`); it is never printed or logged. Set HF_ENDPOINT to publish to another Hub.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from builders.errors import UserError

_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")


def dataset_files(folder: Path) -> list[str]:
    """The files to publish, as repo paths: README.md, manifest.json, the coverage plot the card shows
    and the configs' Parquet shards."""
    names = []
    for name in ("README.md", "manifest.json", "coverage.png"):
        if (folder / name).is_file():
            names.append(name)
    for path in sorted(folder.rglob("*.parquet")):
        rel = path.relative_to(folder)
        if len(rel.parts) < 2 or any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        names.append(rel.as_posix())
    return names


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _git_blob_id(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def unchanged(local: Path, remote) -> bool:
    """Is the remote entry (a huggingface_hub RepoFile, or None) the same content as the local file?"""
    if remote is None or remote.size != local.stat().st_size:
        return False
    if remote.lfs is not None:
        return remote.lfs.sha256 == _sha256(local)
    return remote.blob_id == _git_blob_id(local)


def check_repo_id(repo: str) -> None:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if not _REPO.match(repo or ""):
        raise UserError(f"--repo {repo!r}: expected NAMESPACE/NAME (letters, digits, '-', '_', '.'), "
                        "e.g. my-user/toolmint-quickstart")
    try:
        validate_repo_id(repo)
    except HFValidationError as exc:
        raise UserError(f"--repo {repo!r}: {str(exc).splitlines()[0]}") from None


def publish(folder, repo: str, *, private: bool = False, revision: str | None = None,
            token: str | None = None, commit_message: str | None = None) -> dict:
    """Create `repo` (a dataset repo) if missing and commit the folder's changed files to it in one commit.

    Returns {repo, url, revision, uploaded: [{path, size}], deleted: [paths], unchanged: [paths],
    commit: sha or None (nothing changed), commit_url}.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, get_token
    from huggingface_hub.hf_api import RepoFile

    root = Path(folder)
    if not root.is_dir():
        raise UserError(f"{folder}: no such dataset folder (run `toolmint run RECIPE` first)")
    files = dataset_files(root)
    if not any(name.endswith(".parquet") for name in files):
        raise UserError(f"{folder}: holds no Parquet shards under <config>/ folders; nothing to publish")
    check_repo_id(repo)
    token = token or get_token()
    if not token:
        raise UserError("no Hugging Face token: set HF_TOKEN or run `hf auth login` (a token with write access)")

    api = HfApi(token=token)
    branch = revision or "main"
    stage = "connect"
    try:
        stage = "create"
        url = str(api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True))
        if branch != "main":
            api.create_branch(repo, repo_type="dataset", branch=branch, exist_ok=True)
        stage = "list"
        head = api.dataset_info(repo, revision=branch).sha
        remote = {entry.path: entry for entry in api.list_repo_tree(repo, repo_type="dataset", revision=head,
                                                                      recursive=True)
                  if isinstance(entry, RepoFile)}
        changed = [name for name in files if not unchanged(root / name, remote.get(name))]
        stale = sorted(p for p in remote if p.endswith(".parquet") and p not in files)
        result = {"repo": repo, "url": url, "revision": branch,
                  "uploaded": [{"path": name, "size": (root / name).stat().st_size} for name in changed],
                  "deleted": stale, "unchanged": [name for name in files if name not in changed],
                  "commit": None, "commit_url": None}
        if not changed and not stale:
            return result
        additions = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(root / name)) for name in changed]
        stage = "upload"
        api.preupload_lfs_files(repo, additions=additions, repo_type="dataset", revision=branch)
        stage = "commit"
        info = api.create_commit(
            repo, repo_type="dataset", revision=branch, parent_commit=head,
            operations=[*additions, *(CommitOperationDelete(path_in_repo=p) for p in stale)],
            commit_message=commit_message or _message(root, len(changed), len(stale)))
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 — every failure becomes one clear line; see _explain
        raise UserError(_explain(exc, stage, repo, root, api.endpoint)) from None
    result.update(commit=info.oid, commit_url=info.commit_url)
    return result


def _message(root: Path, n_changed: int, n_deleted: int) -> str:
    import json

    run = ""
    try:
        manifest = json.loads((root / "manifest.json").read_text())
        run = f" ({manifest.get('recipe', '?')}, run {manifest.get('run_hash', '?')})"
    except (OSError, ValueError):
        pass
    deleted = f", {n_deleted} removed" if n_deleted else ""
    return f"toolmint publish: {n_changed} file{'s' if n_changed != 1 else ''}{deleted}{run}"


def _explain(exc: Exception, stage: str, repo: str, root: Path, endpoint: str) -> str:
    """One line for a failure, never the token. The stage tells whether a commit can have happened."""
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError

    nothing = "no commit was made; run the same command again to resume" if stage != "commit" else \
        "the commit may or may not have been made; run the same command again (it uploads only what differs)"
    if isinstance(exc, HFValidationError):
        return f"--repo {repo!r}: {str(exc).splitlines()[0]}"
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        status = exc.response.status_code
        if status == 401:
            return (f"the Hub at {endpoint} refused the token (401 Unauthorized): set HF_TOKEN or run "
                    "`hf auth login` with a valid token; nothing was committed")
        if status == 403:
            return f"the token may not write to {repo} (403 Forbidden); nothing was committed"
        if status == 404:
            return f"{repo}: not found on {endpoint} or not visible with this token (404); {nothing}"
        server = exc.response.headers.get("X-Error-Message") or exc.response.reason_phrase
        return f"{repo}: the Hub answered {status} ({server}) while {_STAGES[stage]}; {nothing}"
    if isinstance(exc, ValueError) and "README.md" in str(exc):
        return f"{root / 'README.md'}: the Hub rejected the card's YAML: {' '.join(str(exc).split())}"
    cause = _connection_error(exc)
    if cause is not None:
        return (f"connection to {endpoint} lost while {_STAGES[stage]} ({type(cause).__name__}: "
                f"{str(cause).splitlines()[0] if str(cause) else 'no detail'}); {nothing}")
    return f"{repo}: publishing failed while {_STAGES[stage]}: {type(exc).__name__}: {str(exc).splitlines()[0]}; {nothing}"


_STAGES = {"connect": "connecting", "create": "creating the repo", "list": "listing the remote files",
           "upload": "uploading", "commit": "committing"}


def _connection_error(exc: BaseException | None) -> BaseException | None:
    """The network failure behind `exc` (huggingface_hub wraps a failed upload in a RuntimeError), if any."""
    try:
        import httpx2
        transport = (httpx2.TransportError,)
    except ImportError:  # pragma: no cover — huggingface_hub 2.x ships on httpx2
        transport = ()
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, (*transport, ConnectionError, TimeoutError)):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
