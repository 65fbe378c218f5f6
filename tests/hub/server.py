"""A small Hugging Face Hub on 127.0.0.1, enough for huggingface_hub 2.x, HfFileSystem and `datasets`.

It speaks the endpoints those clients really call (read from huggingface_hub 2.4's source): create a
dataset repo, repo info, branches, preupload, the Git LFS batch API (batch → PUT → verify; clients must
set HF_HUB_DISABLE_XET=1 before importing huggingface_hub, or they would upload through Xet), YAML
validation, the NDJSON commit, tree / paths-info / commits listings, and `resolve` with the headers
`hf_hub_download` and HfFileSystem read (ETag, X-Repo-Commit, Content-Length, ranges).

State lives in memory; tests read it (`hub.commits(repo)`, `hub.log`) and flip fault switches:
`hub.drop_uploads = N` drops the connection in the middle of the next N LFS uploads (PUT).

    with HubServer() as hub:
        os.environ["HF_ENDPOINT"] = hub.url
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "hf_loopbackTestToken0123456789"
USER = "tester"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n*.arrow filter=lfs diff=lfs merge=lfs -text\n"


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(oid: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n".encode()


@dataclass(frozen=True)
class Blob:
    data: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def oid(self) -> str:
        """Git's blob id: of the content, or of the LFS pointer for an LFS file."""
        return git_blob_sha1(lfs_pointer(self.sha256, len(self.data)) if self.lfs else self.data)


@dataclass
class Commit:
    sha: str
    title: str
    files: dict[str, Blob]
    parent: str | None
    date: str


@dataclass
class Repo:
    repo_id: str
    private: bool
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)


class HubState:
    def __init__(self, token: str = TOKEN):
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}  # uploaded and verified LFS objects by sha256
        self.drop_uploads = 0  # fault switch: drop the connection mid-body for the next N LFS PUTs
        self.dropped = 0
        self.log: list[tuple[str, str, int]] = []  # (method, path, status) of every request
        self.lock = threading.RLock()

    def commit(self, repo: Repo, branch: str, title: str, files: dict[str, Blob]) -> Commit:
        parent = repo.branches.get(branch)
        sha = hashlib.sha1(f"{repo.repo_id}{branch}{title}{time.time_ns()}{len(repo.commits)}".encode()).hexdigest()
        commit = Commit(sha, title, files, parent, time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()))
        repo.commits[sha] = commit
        repo.branches[branch] = sha
        return commit


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, **extra):
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format, *args):  # quiet: the state keeps its own log
        pass

    # --- plumbing -------------------------------------------------------------------------------
    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        self.status, self._body_read = 0, False  # one handler serves every request of a kept-alive connection
        try:
            self._route(method, parts)
        except HubError as err:
            self._drain()
            headers = {"X-Error-Message": err.message}
            if err.code:
                headers["X-Error-Code"] = err.code
            self._json(err.status, {"error": err.message, **err.extra}, headers)
        except _Dropped:
            self.close_connection = True
        finally:
            with state.lock:
                state.log.append((method, url.path, self.status))

    def _drain(self) -> None:
        if not getattr(self, "_body_read", False):
            self._body()

    def _body(self) -> bytes:
        self._body_read = True
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
              content_type: str = "application/json") -> None:
        self.status = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, value, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value).encode(), headers)

    def _auth(self, *, write: bool) -> bool:
        """True when the request carries the valid token; 401 for any other token, or none on a write."""
        header = self.headers.get("Authorization")
        if header is None:
            if write:
                raise HubError(401, "Invalid credentials in Authorization header")
            return False
        if header != f"Bearer {self.server.state.token}":
            raise HubError(401, "Invalid credentials in Authorization header")
        return True

    def _repo(self, ns: str, name: str, *, write: bool = False) -> Repo:
        authed = self._auth(write=write)
        repo = self.server.state.repos.get(f"{ns}/{name}")
        if repo is None or (repo.private and not authed):
            raise HubError(404, "Repository not found", "RepoNotFound")
        return repo

    def _commit(self, repo: Repo, revision: str) -> Commit:
        revision = unquote(revision)
        sha = repo.branches.get(revision) or (revision if revision in repo.commits else None)
        if sha is None:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return repo.commits[sha]

    # --- routes ---------------------------------------------------------------------------------
    def _route(self, method: str, p: list[str]) -> None:
        state = self.server.state
        with state.lock:
            if method == "GET" and p == ["api", "whoami-v2"]:
                self._auth(write=True)
                return self._json(200, {"type": "user", "name": USER, "auth": {"accessToken": {"role": "write"}}})
            if method == "POST" and p == ["api", "repos", "create"]:
                return self._create_repo()
            if method == "POST" and p == ["api", "validate-yaml"]:
                self._auth(write=True)
                return self._validate_yaml()
            if len(p) >= 4 and p[:2] == ["api", "datasets"]:
                return self._api(method, p[2], p[3], p[4:])
            if len(p) >= 3 and p[0] == "datasets" and p[2].endswith(".git") and p[3:] == ["info", "lfs", "objects", "batch"]:
                return self._lfs_batch(self._repo(p[1], p[2][:-4], write=True))
            if method == "PUT" and len(p) == 2 and p[0] == "lfs-upload":
                return self._lfs_put(p[1])
            if method == "POST" and len(p) == 2 and p[0] == "lfs-verify":
                return self._lfs_verify()
            if method in ("GET", "HEAD") and len(p) >= 6 and p[0] == "datasets" and p[3] == "resolve":
                return self._resolve(self._repo(p[1], p[2]), p[4], unquote("/".join(p[5:])))
        raise HubError(404, f"no route for {method} /{'/'.join(p)}")

    def _api(self, method: str, ns: str, name: str, rest: list[str]) -> None:
        if method == "GET" and (not rest or rest[0] == "revision"):
            repo = self._repo(ns, name)
            return self._json(200, self._info(repo, self._commit(repo, rest[1] if rest else "main")))
        if method == "POST" and rest and rest[0] == "preupload":
            return self._preupload(self._repo(ns, name, write=True), rest[1])
        if method == "POST" and rest and rest[0] == "commit":
            return self._commit_ndjson(self._repo(ns, name, write=True), unquote(rest[1]))
        if method == "POST" and rest and rest[0] == "branch":
            repo = self._repo(ns, name, write=True)
            branch = unquote("/".join(rest[1:]))
            if branch in repo.branches:
                raise HubError(409, "Reference already exists")
            self._drain()
            repo.branches[branch] = repo.branches["main"]
            return self._json(200, {})
        if method == "GET" and rest and rest[0] == "tree":
            repo = self._repo(ns, name)
            commit = self._commit(repo, rest[1])
            self.repo, self.head, self.expand = repo, commit, self.query.get("expand") in ("true", "True", "1")
            return self._json(200, self._tree(commit, unquote("/".join(rest[2:])), self.query.get("recursive") in ("true", "True", "1")))
        if method == "POST" and rest and rest[0] == "paths-info":
            repo = self._repo(ns, name)
            commit = self._commit(repo, rest[1])
            form = parse_qs(self._body().decode())
            self.repo, self.head = repo, commit
            self.expand = form.get("expand", ["False"])[-1] in ("true", "True", "1")
            paths = [x.strip("/") for x in form.get("paths", [])]
            return self._json(200, [e for path in paths for e in self._entries(commit, path)])
        if method == "GET" and rest and rest[0] == "commits":
            repo = self._repo(ns, name)
            commit, out = self._commit(repo, rest[1]), []
            while commit is not None:
                out.append({"id": commit.sha, "title": commit.title, "message": "", "authors": [{"user": USER}],
                            "date": commit.date})
                commit = repo.commits.get(commit.parent) if commit.parent else None
            return self._json(200, out)
        raise HubError(404, "no such dataset API route")

    def _create_repo(self) -> None:
        self._auth(write=True)
        body = json.loads(self._body() or b"{}")
        if body.get("type") != "dataset":
            raise HubError(400, "this test Hub holds dataset repos only")
        ns, name = body.get("organization") or USER, body.get("name", "")
        if not _NAME.match(name) or not _NAME.match(ns):
            raise HubError(400, f"invalid repo name {ns}/{name}")
        repo_id = f"{ns}/{name}"
        state = self.server.state
        if repo_id in state.repos:
            raise HubError(409, "You already created this dataset repo", url=f"{self.server.url}/datasets/{repo_id}")
        repo = Repo(repo_id, private=body.get("visibility") == "private" or bool(body.get("private")))
        state.repos[repo_id] = repo
        state.commit(repo, "main", "initial commit", {".gitattributes": Blob(_GITATTRIBUTES, lfs=False)})
        self._json(200, {"url": f"{self.server.url}/datasets/{repo_id}", "name": repo_id, "id": repo_id})

    def _validate_yaml(self) -> None:
        import yaml

        content = json.loads(self._body()).get("content", "")
        match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", content, re.S)
        if not match:
            return self._json(200, {"errors": [], "warnings": [{"message": "empty or missing yaml metadata in repo card"}]})
        try:
            meta = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            return self._json(400, {"errors": [{"message": f"invalid YAML: {exc}"}]})
        if not isinstance(meta, dict):
            return self._json(400, {"errors": [{"message": "YAML metadata must be a mapping"}]})
        self._json(200, {"errors": [], "warnings": []})

    def _info(self, repo: Repo, commit: Commit) -> dict:
        ns = repo.repo_id.split("/")[0]
        return {"_id": repo.repo_id, "id": repo.repo_id, "author": ns, "sha": commit.sha, "private": repo.private,
                "gated": False, "disabled": False, "downloads": 0, "likes": 0, "tags": [],
                "lastModified": commit.date, "createdAt": commit.date,
                "siblings": [{"rfilename": path} for path in sorted(commit.files)]}

    def _preupload(self, repo: Repo, revision: str) -> None:
        commit = self._commit(repo, revision)
        files = json.loads(self._body())["files"]
        out = []
        for f in files:
            sample = base64.b64decode(f.get("sample", ""))
            try:
                sample.decode("utf-8")
                binary = False
            except UnicodeDecodeError:
                binary = True
            lfs = binary or f["path"].endswith((".parquet", ".arrow")) or f["size"] > 10_000_000
            existing = commit.files.get(f["path"])
            oid = None
            if existing is not None:
                oid = existing.sha256 if existing.lfs else existing.oid
            out.append({"path": f["path"], "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False, "oid": oid})
        self._json(200, {"files": out, "commitOid": commit.sha})

    def _lfs_batch(self, repo: Repo) -> None:
        body = json.loads(self._body())
        objects = []
        for obj in body.get("objects", []):
            entry = {"oid": obj["oid"], "size": obj["size"]}
            if obj["oid"] not in self.server.state.lfs:
                entry["actions"] = {
                    "upload": {"href": f"{self.server.url}/lfs-upload/{obj['oid']}"},
                    "verify": {"href": f"{self.server.url}/lfs-verify/{obj['oid']}"},
                }
            objects.append(entry)
        self._send(200, json.dumps({"transfer": "basic", "objects": objects}).encode(),
                   content_type="application/vnd.git-lfs+json")

    def _lfs_put(self, oid: str) -> None:
        self._auth(write=False)  # the real upload URL is pre-signed; a token is not required
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        if state.drop_uploads > 0:
            state.drop_uploads -= 1
            state.dropped += 1
            self.rfile.read(length // 2)  # take half the body, then hang up without a response
            self._body_read = True
            self.connection.shutdown(socket.SHUT_RDWR)
            raise _Dropped()
        data = self._body()
        if hashlib.sha256(data).hexdigest() != oid:
            raise HubError(400, "uploaded content does not match its oid")
        state.lfs[oid] = data
        self._send(200, b"", content_type="text/plain")

    def _lfs_verify(self) -> None:
        self._auth(write=True)
        body = json.loads(self._body())
        data = self.server.state.lfs.get(body["oid"])
        if data is None or len(data) != body["size"]:
            raise HubError(404, f"LFS object {body['oid']} not found")
        self._json(200, {"success": True})

    def _commit_ndjson(self, repo: Repo, branch: str) -> None:
        if branch not in repo.branches:
            raise HubError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
        lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
        files = dict(repo.commits[repo.branches[branch]].files)
        header = {}
        for line in lines:
            key, value = line["key"], line["value"]
            if key == "header":
                header = value
            elif key == "file":
                files[value["path"]] = Blob(base64.b64decode(value["content"]), lfs=False)
            elif key == "lfsFile":
                data = self.server.state.lfs.get(value["oid"])
                if data is None:
                    raise HubError(422, f"LFS object {value['oid']} of {value['path']} was never uploaded")
                files[value["path"]] = Blob(data, lfs=True)
            elif key == "deletedFile":
                if files.pop(value["path"], None) is None:
                    raise HubError(404, "A file with this name doesn't exist", "EntryNotFound")
            elif key == "deletedFolder":
                prefix = value["path"].rstrip("/") + "/"
                files = {k: v for k, v in files.items() if not k.startswith(prefix)}
            else:
                raise HubError(400, f"unknown commit line {key!r}")
        parent = header.get("parentCommit")
        if parent and parent != repo.branches[branch]:
            raise HubError(412, "parent commit is not the head of the branch")
        commit = self.server.state.commit(repo, branch, header.get("summary") or "commit", files)
        self._json(200, {"commitUrl": f"{self.server.url}/datasets/{repo.repo_id}/commit/{commit.sha}",
                         "commitOid": commit.sha, "success": True})

    def _entry(self, path: str, blob: Blob) -> dict:
        entry = {"type": "file", "oid": blob.oid, "size": len(blob.data), "path": path}
        if self.expand:  # as the Hub: the last commit that changed the file (HfFileSystem.modified reads it)
            commit = self.head
            while commit.parent and self.repo.commits[commit.parent].files.get(path) == blob:
                commit = self.repo.commits[commit.parent]
            entry["lastCommit"] = {"id": commit.sha, "title": commit.title, "date": commit.date}
        if blob.lfs:
            entry["lfs"] = {"oid": blob.sha256, "size": len(blob.data),
                            "pointerSize": len(lfs_pointer(blob.sha256, len(blob.data)))}
        return entry

    def _folder(self, path: str) -> dict:
        entry = {"type": "directory", "oid": hashlib.sha1(path.encode()).hexdigest(), "size": 0, "path": path}
        if self.expand:
            entry["lastCommit"] = {"id": self.head.sha, "title": self.head.title, "date": self.head.date}
        return entry

    def _entries(self, commit: Commit, path: str) -> list[dict]:
        """paths-info: the file at `path`, or the folder, or nothing."""
        if path in commit.files:
            return [self._entry(path, commit.files[path])]
        if any(p.startswith(path + "/") for p in commit.files):
            return [self._folder(path)]
        return []

    def _tree(self, commit: Commit, path: str, recursive: bool) -> list[dict]:
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        if prefix and not any(p.startswith(prefix) for p in commit.files):
            raise HubError(404, f"{path} does not exist", "EntryNotFound")
        out, folders = [], set()
        for p in sorted(commit.files):
            if not p.startswith(prefix):
                continue
            rest = p[len(prefix):].split("/")
            for depth in range(1, len(rest)):
                folder = prefix + "/".join(rest[:depth])
                if (recursive or depth == 1) and folder not in folders:
                    folders.add(folder)
                    out.append(self._folder(folder))
                if not recursive:
                    break
            if recursive or len(rest) == 1:
                out.append(self._entry(p, commit.files[p]))
        return out

    def _resolve(self, repo: Repo, revision: str, path: str) -> None:
        commit = self._commit(repo, revision)
        blob = commit.files.get(path)
        if blob is None:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        data, etag = blob.data, blob.sha256 if blob.lfs else blob.oid
        headers = {"ETag": f'"{etag}"', "X-Repo-Commit": commit.sha, "Accept-Ranges": "bytes"}
        if blob.lfs:
            headers["X-Linked-Etag"] = f'"{etag}"'
            headers["X-Linked-Size"] = str(len(data))
        status, total = 200, len(data)
        match = re.match(r"bytes=(\d*)-(\d*)$", self.headers.get("Range", ""))
        if match:
            start = int(match.group(1)) if match.group(1) else max(0, total - int(match.group(2)))
            end = int(match.group(2)) if match.group(1) and match.group(2) else total - 1
            end = min(end, total - 1)
            if start >= total and total:
                raise HubError(416, "range not satisfiable")
            data, status = data[start:end + 1], 206
            headers["Content-Range"] = f"bytes {start}-{end}/{total}"
        self._send(status, data, headers, content_type="application/octet-stream")


class _Dropped(Exception):
    pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: HubState
    url: str


class HubServer:
    """The Hub on 127.0.0.1 at a free port, served from a thread; a context manager."""

    def __init__(self, token: str = TOKEN):
        self.state = HubState(token)
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.state = self.state
        self.url = self._server.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "HubServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def drop_uploads(self) -> int:
        return self.state.drop_uploads

    @drop_uploads.setter
    def drop_uploads(self, n: int) -> None:
        self.state.drop_uploads = n

    def commits(self, repo_id: str, branch: str = "main") -> list[Commit]:
        """The branch's history, newest first."""
        repo = self.state.repos[repo_id]
        out, sha = [], repo.branches.get(branch)
        while sha:
            out.append(repo.commits[sha])
            sha = repo.commits[sha].parent
        return out

    def files(self, repo_id: str, branch: str = "main") -> dict[str, Blob]:
        return self.commits(repo_id, branch)[0].files

    def requests(self, method: str | None = None, contains: str = "") -> list[tuple[str, str, int]]:
        with self.state.lock:
            return [r for r in self.state.log if (method is None or r[0] == method) and contains in r[1]]


def main() -> None:
    """`python -m tests.hub.server`: serve until interrupted (for trying toolmint publish by hand)."""
    with HubServer() as hub:
        print(f"HF_ENDPOINT={hub.url} HF_TOKEN={hub.token} HF_HUB_DISABLE_XET=1", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
