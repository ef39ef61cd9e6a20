"""Scrapyd nodes: a small client for the JSON API and the egg that deploys the Scrapy project."""

from __future__ import annotations

import base64
import contextlib
import importlib
import io
import json
import time
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from reputation.errors import ConfigError, RepmonError
from reputation.settings import Settings, env_name

__all__ = [
    "PACKAGES",
    "STATES",
    "Node",
    "ScrapydEngine",
    "ScrapydError",
    "build_egg",
    "egg_version",
    "nodes",
]

# The Scrapy project in the egg. The core (`reputation`) is not in it: it reads its schema
# migrations from files, which a zipped egg cannot give, so nodes install repmon itself.
PACKAGES = ("spiders",)
STATES = ("pending", "running", "finished")


class ScrapydError(RepmonError):
    """A Scrapyd node is down, refused the login or answered an error (the message names it)."""


@dataclass(frozen=True)
class Node:
    """One Scrapyd server, by base URL, with optional basic-auth credentials."""

    url: str
    username: str = ""
    password: str = ""
    timeout: float = 15.0

    def call(
        self,
        endpoint: str,
        query: Sequence[tuple[str, str]] | None = None,
        form: Sequence[tuple[str, str]] | None = None,
        files: Mapping[str, bytes] | None = None,
    ) -> dict[str, Any]:
        """GET (query) or POST (form, files) one JSON endpoint; its answer when status is ok."""
        address = f"{self.url}/{endpoint}"
        body: bytes | None = None
        headers = {"Accept": "application/json"}
        if query:
            address += "?" + urlencode(query)
        if files:
            body, headers["Content-Type"] = _multipart(form or (), files)
        elif form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers.update(self._auth())
        try:
            with urlopen(Request(address, data=body, headers=headers), timeout=self.timeout) as r:
                answer: dict[str, Any] = json.loads(r.read())
        except HTTPError as exc:
            if exc.code == 401:
                raise ScrapydError(
                    f"Scrapyd at {self.url} refused the login (HTTP 401): set scrapyd.username "
                    f"and {env_name('scrapyd.password')} to the node's credentials"
                ) from None
            raise ScrapydError(
                f"Scrapyd at {self.url} answered HTTP {exc.code} to {endpoint}"
            ) from None
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ScrapydError(f"Scrapyd at {self.url} does not answer: {reason}") from None
        except ValueError:
            raise ScrapydError(f"Scrapyd at {self.url} answered {endpoint} with no JSON") from None
        if answer.get("status") != "ok":
            message = answer.get("message", "no message")
            raise ScrapydError(f"Scrapyd at {self.url}: {endpoint} failed: {message}")
        return answer

    def _auth(self) -> dict[str, str]:
        if not self.username:
            return {}
        login = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {login}"}

    def daemon_status(self) -> dict[str, Any]:
        """The node's name and its pending, running and finished job counts."""
        return self.call("daemonstatus.json")

    def projects(self) -> list[str]:
        """The projects deployed on the node."""
        return list(self.call("listprojects.json")["projects"])

    def schedule(
        self, project: str, spider: str, settings: Mapping[str, str], args: Mapping[str, str]
    ) -> str:
        """Queue a crawl with Scrapy settings and spider arguments; returns the job id."""
        form = [("project", project), ("spider", spider), ("jobid", uuid.uuid4().hex)]
        form += [("setting", f"{k}={v}") for k, v in settings.items()]
        form += list(args.items())
        return str(self.call("schedule.json", form=form)["jobid"])

    def jobs(self, project: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """Every job the node knows of the project: id -> (state, the job's record)."""
        answer = self.call("listjobs.json", query=[("project", project)])
        return {job["id"]: (state, job) for state in STATES for job in answer.get(state, [])}

    def cancel(self, project: str, job: str, signal: str = "INT") -> str | None:
        """Cancel a job (INT lets the crawl close cleanly); the state it was in, if any."""
        form = [("project", project), ("job", job), ("signal", signal)]
        prev: str | None = self.call("cancel.json", form=form).get("prevstate")
        return prev

    def log_tail(self, path: str, lines: int = 3) -> list[str]:
        """The last lines of a job's log (empty if the node cannot give it)."""
        request = Request(self.url + path, headers=self._auth())
        try:
            with urlopen(request, timeout=self.timeout) as resp:
                text = resp.read()[-20000:].decode(errors="replace")
        except (URLError, OSError):
            return []
        return [line for line in text.splitlines() if line.strip()][-lines:]

    def add_version(self, project: str, version: str, egg: bytes) -> int:
        """Upload an egg as a new version of the project; the number of spiders it holds."""
        answer = self.call(
            "addversion.json", form=[("project", project), ("version", version)], files={"egg": egg}
        )
        return int(answer.get("spiders", 0))


def _multipart(fields: Sequence[tuple[str, str]], files: Mapping[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    parts = [(name, value.encode(), "") for name, value in fields]
    parts += [(name, data, f'; filename="{name}.egg"') for name, data in files.items()]
    for name, data, filename in parts:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'.encode())
        out.write(f"{filename}\r\n\r\n".encode() + data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def nodes(settings: Settings, urls: Sequence[str] = ()) -> list[Node]:
    """The Scrapyd nodes given, else those of the setting scrapyd.urls (comma-separated)."""
    wanted = list(urls) or [u for u in str(settings["scrapyd.urls"]).split(",") if u.strip()]
    found = []
    for raw in wanted:
        url = raw.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"scrapyd.urls: {raw!r} is not an http(s) URL such as http://host:6800"
            )
        if parts.username or parts.password:
            raise ConfigError(
                f"scrapyd.urls: {parts.hostname} carries a login in its URL; set scrapyd.username "
                f"and {env_name('scrapyd.password')} instead (URLs are shown in logs)"
            )
        found.append(
            Node(url, str(settings["scrapyd.username"]), str(settings["scrapyd.password"]))
        )
    return found


def egg_version(now: float | None = None) -> str:
    """A version Scrapyd sorts after earlier deploys: repmon's version plus a timestamp."""
    return f"{package_version('repmon')}.{int(now if now is not None else time.time())}"


def build_egg() -> bytes:
    """A Scrapy project egg of the spiders, with the entry point `settings = spiders.settings`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as egg:
        egg.writestr(
            "EGG-INFO/PKG-INFO", f"Metadata-Version: 1.0\nName: repmon\nVersion: {egg_version()}\n"
        )
        egg.writestr("EGG-INFO/entry_points.txt", "[scrapy]\nsettings = spiders.settings\n")
        egg.writestr("EGG-INFO/top_level.txt", "\n".join(PACKAGES) + "\n")
        egg.writestr("EGG-INFO/not-zip-safe", "")
        for package in PACKAGES:
            root = Path(next(iter(importlib.import_module(package).__path__)))
            for path in sorted(root.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                    egg.write(path, f"{package}/{path.relative_to(root).as_posix()}")
    return out.getvalue()


class ScrapydEngine:
    """Crawls as Scrapyd jobs, each on the least busy node, watched through listjobs.json.

    Scrapyd keeps a job's settings in its job list and logs, so the database URL (it may
    carry a password) is never sent: each node reads REPMON_DATABASE_URL from its own
    environment, like every other repmon setting.
    """

    slots: int | None = None  # every job is queued at once; each node runs max_proc of them
    interval = 0.5

    def __init__(self, found: Sequence[Node], project: str, down_after: float = 60.0) -> None:
        self.project = project
        self.down_after = down_after
        self.load: dict[Node, int] = {}
        problems = []
        for node in found:
            try:
                status = node.daemon_status()
                if project not in node.projects():
                    raise ScrapydError(
                        f"project {project!r} is not deployed on {node.url}: "
                        "run `repmon scrapyd deploy`"
                    )
            except ScrapydError as exc:
                problems.append(str(exc))
                continue
            self.load[node] = int(status.get("pending", 0)) + int(status.get("running", 0))
        if not self.load:
            raise ScrapydError("no Scrapyd node can take crawls: " + "; ".join(problems))
        self.jobs: dict[int, tuple[Node, str, float]] = {}  # run id -> node, job id, started
        self.timed_out: set[int] = set()  # cancelled for running past the timeout
        self.silent_since: dict[Node, float] = {}

    def start(
        self, source: str, run_id: int, settings: dict[str, str], args: dict[str, str]
    ) -> str:
        """Schedule the crawl on the least busy node (the next one if it refuses): NODE|JOB."""
        problems = []
        for node in sorted(self.load, key=lambda n: self.load[n]):
            try:
                job = node.schedule(self.project, source, settings, args)
            except ScrapydError as exc:
                problems.append(str(exc))
                continue
            self.load[node] += 1
            self.jobs[run_id] = (node, job, time.monotonic())
            return f"{node.url}|{job}"
        raise ScrapydError("no Scrapyd node took the crawl: " + "; ".join(problems))

    def poll(self, timeout: float) -> list[tuple[int, list[str]]]:
        """Jobs that finished or vanished; those over `timeout` seconds are cancelled."""
        ended: list[tuple[int, list[str]]] = []
        for node in {node for node, _, _ in self.jobs.values()}:
            mine = {run: (job, t) for run, (n, job, t) in self.jobs.items() if n == node}
            try:
                known = node.jobs(self.project)
            except ScrapydError as exc:
                since = self.silent_since.setdefault(node, time.monotonic())
                if time.monotonic() - since > self.down_after:
                    ended += [(run, [f"{exc} (job {job} lost)"]) for run, (job, _) in mine.items()]
                continue
            self.silent_since.pop(node, None)
            for run, (job, started) in mine.items():
                state, record = known.get(job, ("", {}))
                if state == "finished":
                    ended.append((run, self._died(node, job, str(record.get("log_url") or ""))))
                elif not state:
                    gone = f"Scrapyd job {job} vanished from {node.url} (was it restarted?)"
                    ended.append((run, [gone]))
                elif time.monotonic() - started > timeout and run not in self.timed_out:
                    with contextlib.suppress(ScrapydError):  # tried again at the next poll
                        node.cancel(self.project, job)
                        self.timed_out.add(run)
        for run, _ in ended:
            del self.jobs[run]
        return ended

    def stop(self, grace: float, signalled: bool = False) -> None:
        """Cancel every job still watched (SIGINT: each crawl closes its run on its node)."""
        for node, job, _ in self.jobs.values():
            with contextlib.suppress(ScrapydError):  # a node that is down runs nothing of ours
                node.cancel(self.project, job)

    def _died(self, node: Node, job: str, log_url: str) -> list[str]:
        why = [
            f"Scrapyd job {job} on {node.url} ended without finishing its crawl run "
            "(killed, or the node's REPMON_DATABASE_URL is not the shared database)"
        ]
        if log_url:
            why += [f"log: {node.url}{log_url}", *node.log_tail(log_url)]
        return why
