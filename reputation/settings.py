"""The one settings table: name, default, help. CLI, docs and scheduler read it from here.

Values come from the defaults below, then a TOML file (`--config`, `REPMON_CONFIG` or
`./repmon.toml`), then environment variables `REPMON_<NAME>` (dots become underscores).
Secrets are read only from the environment or from a file named by `REPMON_<NAME>_FILE`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reputation.errors import ConfigError

__all__ = ["SETTINGS", "Setting", "Settings", "env_name", "load_settings", "setting"]


@dataclass(frozen=True)
class Setting:
    """One configurable value."""

    name: str
    default: str | int | float | bool
    help: str
    secret: bool = False
    env_aliases: tuple[str, ...] = ()

    @property
    def env_forms(self) -> tuple[str, ...]:
        """Every environment variable that sets it: REPMON_<NAME>, aliases, and *_FILE (secrets)."""
        own = env_name(self.name)
        return (own, *self.env_aliases, *((own + "_FILE",) if self.secret else ()))

    @property
    def kind(self) -> type:
        """The Python type values are converted to (that of the default)."""
        return type(self.default)


SETTINGS: tuple[Setting, ...] = (
    # storage
    Setting("data_dir", "repmon-data", "Folder for the SQLite database, maildir and demo output."),
    Setting(
        "database.url",
        "",
        "SQLAlchemy URL of the database; empty means SQLite at <data_dir>/repmon.db.",
    ),
    Setting("timezone", "UTC", "The organisation's timezone, for recipients who set none."),
    # mail
    Setting("smtp.host", "", "SMTP server; empty delivers every message to the local maildir."),
    Setting("smtp.port", 587, "SMTP port."),
    Setting("smtp.security", "starttls", "Transport security: starttls, tls or none."),
    Setting("smtp.username", "", "SMTP login name (empty: no authentication)."),
    Setting("smtp.password", "", "SMTP password (environment or *_FILE only).", secret=True),
    Setting("smtp.timeout", 30.0, "Overall timeout of one SMTP delivery, in seconds."),
    Setting("mail.sender", "Reputation Monitor <repmon@localhost>", "From: address of all mail."),
    Setting(
        "mail.maildir", "", "Maildir used when no SMTP host is set; empty: <data_dir>/maildir."
    ),
    # crawling
    Setting("crawl.contact", "reputation-office@example.org", "Contact in the crawler User-Agent."),
    Setting(
        "crawl.user_agent",
        "repmon/0.1 (hospital reputation monitor; +mailto:{contact})",
        "Crawler User-Agent; {contact} is replaced by crawl.contact.",
    ),
    Setting("crawl.interval_hours", 24, "Hours between scheduled crawls of each source."),
    Setting(
        "crawl.max_hours",
        6,
        "A crawl running longer is stopped and recorded failed; raise it for large rosters.",
    ),
    Setting(
        "crawl.stale_after_days",
        14,
        "A source that used to yield reviews and yields none for this long raises crawl-health.",
    ),
    Setting(
        "crawl.retry_after_max",
        3600.0,
        "Longest Retry-After (seconds) a crawl pauses a site for; a site asking for longer "
        "stops the crawl, recorded blocked.",
    ),
    Setting("google.endpoint", "https://places.googleapis.com/v1", "Google Places API (New) base."),
    Setting(
        "google.legacy_endpoint",
        "https://maps.googleapis.com/maps/api/place/details/json",
        "Google legacy Place Details endpoint.",
    ),
    Setting(
        "google.api_key",
        "",
        "Google Places API key.",
        secret=True,
        env_aliases=("GOOGLE_API_KEY",),
    ),
    Setting("google.api", "new", "Google API for place ids given without a URL: new or legacy."),
    Setting("yelp.endpoint", "https://api.yelp.com/v3", "Yelp Fusion API base."),
    Setting("yelp.api_key", "", "Yelp Fusion API key.", secret=True, env_aliases=("YELP_API_KEY",)),
    Setting("reddit.endpoint", "https://www.reddit.com", "Reddit base URL for search."),
    Setting("x.endpoint", "https://api.x.com/2", "X API v2 base."),
    Setting(
        "x.bearer_token", "", "X API bearer token.", secret=True, env_aliases=("X_BEARER_TOKEN",)
    ),
    # outbox
    Setting(
        "outbox.max_attempts",
        8,
        "Delivery attempts before a message is given up (an unreachable server uses none up).",
    ),
    Setting("outbox.backoff_seconds", 60.0, "First retry delay; doubles on each attempt."),
    Setting("outbox.stuck_after_seconds", 600.0, "A message `sending` this long is retried."),
    Setting(
        "outbox.keep_bodies_days",
        30,
        "Bodies of sent mail are dropped after this many days; the row (who, what, when) stays.",
    ),
    # alerts
    Setting("alerts.cluster.windows", "14,30,90", "Rolling windows (days) the cluster test uses."),
    Setting("alerts.cluster.baseline_days", 365, "Trailing baseline (days, excluding the window)."),
    Setting("alerts.cluster.min_history_days", 60, "History needed before an entity can cluster."),
    Setting("alerts.cluster.min_negatives", 3, "Gate: at least this many negatives."),
    Setting("alerts.cluster.min_distinct_reviewers", 2, "Gate: from at least this many reviewers."),
    Setting("alerts.cluster.fdr_q", 0.025, "Benjamini-Hochberg false discovery rate."),
    Setting(
        "alerts.cluster.window_weights",
        "14:2,30:1,90:0.5",
        "Weight of each window (days:weight) in the cluster FDR; unlisted windows weigh 1.",
    ),
    Setting(
        "alerts.cluster.volume_prior_days",
        0.0,
        "Days of organisation-average volume blended into each entity's expected volume; "
        "0 estimates the blend from the data.",
    ),
    Setting(
        "alerts.cluster.surge_p",
        0.01,
        "A window whose positive reviews alone are this improbable is a volume surge: "
        "its expected negatives follow the window's own volume.",
    ),
    Setting("alerts.cluster.for_hours", 0.0, "A cluster must persist this long before firing."),
    Setting(
        "alerts.cluster.resolve_after_days",
        14.0,
        "A cluster no longer significant for this long resolves (no flapping).",
    ),
    Setting("alerts.resolve_after_days", 1.0, "Other alerts resolve when absent this long."),
    Setting("alerts.repeat_days", 7.0, "Reminder interval for alerts still firing."),
    Setting("alerts.send_resolved", True, "Email when an alert resolves."),
    Setting("alerts.rating_drop", 1.0, "Rating-drop alert: fall in mean stars over 90 days."),
    Setting("alerts.rating_min_count", 5, "Rating-drop alert: reviews needed in each period."),
    Setting("alerts.unanswered_days", 7.0, "Negative review unanswered this long alerts."),
    # digests
    Setting("digest.min_reviews_for_average", 3, "Below this many reviews no average is shown."),
    Setting("digest.cron", "mon 07:00", "When weekly digests go out (day HH:MM, recipient's tz)."),
    Setting(
        "digest.response_deadline_days",
        7,
        "A negative review unanswered for longer is shown in red in digests.",
    ),
    Setting(
        "digest.response_target_pct",
        90,
        "Share of negative reviews (%) to answer within the deadline; digests show it as target.",
    ),
    # reply assistant
    Setting(
        "reply.templates",
        "",
        "TOML file of approved reply templates; empty means the shipped templates/replies.toml.",
    ),
    Setting(
        "reply.contact",
        "our Patient Relations office",
        "How suggested replies invite reviewers to get in touch offline (office, phone, email).",
    ),
    # distributed crawling
    Setting(
        "scrapyd.urls",
        "",
        "Scrapyd servers that run crawls (comma-separated base URLs); empty: local processes.",
    ),
    Setting("scrapyd.project", "repmon", "Project name the spiders are deployed under on Scrapyd."),
    Setting("scrapyd.username", "", "Scrapyd HTTP basic-auth user (empty: no authentication)."),
    Setting(
        "scrapyd.password",
        "",
        "Scrapyd basic-auth password (environment or *_FILE only).",
        secret=True,
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    """The table entry of a setting; ConfigError names an unknown one."""
    if name not in _BY_NAME:
        raise ConfigError(f"unknown setting {name!r} (see `repmon config show`)")
    return _BY_NAME[name]


def env_name(name: str) -> str:
    """The environment variable of a setting: `smtp.host` -> `REPMON_SMTP_HOST`."""
    return "REPMON_" + name.upper().replace(".", "_")


def _convert(setting: Setting, value: Any, origin: str) -> str | int | float | bool:
    kind = setting.kind
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{origin}: {setting.name} must be true or false, got {value!r}")
    if kind is int or kind is float:
        if isinstance(value, bool):
            raise ConfigError(f"{origin}: {setting.name} must be a number, got {value!r}")
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{origin}: {setting.name} must be a number, got {value!r}") from None
    if not isinstance(value, str):
        raise ConfigError(f"{origin}: {setting.name} must be text, got {value!r}")
    return value


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name not in _BY_NAME:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


class Settings:
    """Effective settings: a read-only mapping of name to value, with the origin of each."""

    def __init__(
        self,
        values: dict[str, Any],
        origins: dict[str, str],
        base_dir: Path,
        config_file: Path | None = None,
    ) -> None:
        self._values = values
        self._origins = origins
        self.base_dir = base_dir
        self.config_file = config_file  # the TOML file read, if any (crawl processes read it too)

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            raise ConfigError(f"unknown setting {name!r}")
        return self._values[name]

    def origin(self, name: str) -> str:
        """Where the value of `name` came from: default, a file, or an environment variable."""
        return self._origins[name]

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with some values replaced (names use `__` for dots)."""
        merged = dict(self._values)
        origins = dict(self._origins)
        for key, value in values.items():
            name = key.replace("__", ".")
            merged[name] = _convert(_BY_NAME[name], value, "override")
            origins[name] = "override"
        return Settings(merged, origins, self.base_dir, self.config_file)

    @property
    def data_dir(self) -> Path:
        """The data folder, absolute."""
        path = Path(str(self["data_dir"])).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL, defaulting to SQLite in the data folder."""
        url = str(self["database.url"])
        return url or f"sqlite:///{self.data_dir / 'repmon.db'}"

    @property
    def maildir(self) -> Path:
        """The maildir used when no SMTP host is configured."""
        path = str(self["mail.maildir"])
        return Path(path) if path else self.data_dir / "maildir"

    @property
    def user_agent(self) -> str:
        """The crawler's User-Agent with the contact filled in."""
        return str(self["crawl.user_agent"]).replace("{contact}", str(self["crawl.contact"]))

    def masked(self) -> list[tuple[str, str, str]]:
        """(name, value, origin) for every setting, secrets shown only as set or unset."""
        rows = []
        for s in SETTINGS:
            value = self._values[s.name]
            shown = ("********" if value else "(unset)") if s.secret else str(value)
            rows.append((s.name, shown, self._origins[s.name]))
        return rows


def load_settings(config: Path | None, environ: Mapping[str, str], cwd: Path) -> Settings:
    """Read the defaults, the TOML file and the environment into one Settings."""
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    origins = {s.name: "default" for s in SETTINGS}
    path = config or (Path(environ["REPMON_CONFIG"]) if environ.get("REPMON_CONFIG") else None)
    explicit = path is not None
    path = path or cwd / "repmon.toml"
    if path.exists():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        for name, value in _flatten(table).items():
            setting = _BY_NAME.get(name)
            if setting is None:
                raise ConfigError(f"{path}: unknown setting {name!r} (see `repmon config show`)")
            if setting.secret:
                raise ConfigError(
                    f"{path}: {name} is a secret and is not read from files; "
                    f"set {env_name(name)} or {env_name(name)}_FILE instead"
                )
            values[name] = _convert(setting, value, str(path))
            origins[name] = str(path)
    elif explicit:
        raise ConfigError(f"config file {path} does not exist")
    for s in SETTINGS:
        for var in (env_name(s.name), *s.env_aliases):
            if var in environ:
                values[s.name] = _convert(s, environ[var], var)
                origins[s.name] = var
                break
        file_var = env_name(s.name) + "_FILE"
        if s.secret and environ.get(file_var):
            try:
                values[s.name] = Path(environ[file_var]).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"{file_var}: cannot read {environ[file_var]}: {exc}") from None
            origins[s.name] = file_var
    found = path.resolve() if path.exists() else None
    return Settings(values, origins, found.parent if found else cwd, found)
