"""The one settings table: name, default, help. CLI, docs and scheduler read it from here.

Values come from the defaults below, then a TOML file (`--config`, `REPMON_CONFIG` or
`./repmon.toml`), then environment variables `REPMON_<NAME>` (dots become underscores).
Secrets are read only from the environment or from a file named by `REPMON_<NAME>_FILE`.
Every value is checked for meaning when loaded (a Rule per setting): a bad one is refused
naming the setting, where it came from and what it must be, before any work starts.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reputation.errors import ConfigError

__all__ = [
    "DAYS",
    "SETTINGS",
    "Rule",
    "Setting",
    "Settings",
    "env_name",
    "load_settings",
    "parse_day_windows",
    "parse_weekly_time",
    "parse_window_weights",
    "setting",
]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Rule:
    """What a setting's value must be: said in errors, checked by `parse`, which returns the
    value in the form code uses (e.g. a tuple of days) or raises ValueError."""

    must_be: str
    parse: Callable[[Any], Any]


def _bounded(must_be: str, ok: Callable[[Any], bool]) -> Rule:
    def parse(value: Any) -> Any:
        if not ok(value):
            raise ValueError(must_be)
        return value

    return Rule(must_be, parse)


def parse_day_windows(text: str) -> tuple[int, ...]:
    """Parse "14,30,90" (comma-separated whole days above 0) into (14, 30, 90)."""
    windows = tuple(int(part) for part in text.split(","))  # ValueError names a bad part
    if any(days <= 0 for days in windows) or len(set(windows)) != len(windows):
        raise ValueError(f"alerts.cluster.windows: {text!r} has a window of 0 days or a repeat")
    return windows


def parse_window_weights(text: str) -> tuple[tuple[int, float], ...]:
    """Parse "14:2,30:1,90:0.5" (days:weight pairs, weights above 0) into ((14, 2.0), ...)."""
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        days, sep, weight = item.partition(":")
        try:
            pairs.append((int(days), float(weight)))
        except ValueError:
            sep = ""
        if not sep:
            raise ValueError(
                f"alerts.cluster.window_weights: {item!r} is not days:weight (e.g. 14:2,30:1)"
            )
    if any(not w > 0 for _, w in pairs):  # also refuses nan
        raise ValueError(f"alerts.cluster.window_weights: {text!r}; weights must be > 0")
    return tuple(pairs)


def parse_weekly_time(spec: str) -> tuple[str, int, int]:
    """Parse "mon 07:00" (a day and a time) into ("mon", 7, 0)."""
    day, clock = spec.split()
    hour, minute = (int(x) for x in clock.split(":"))
    if day not in DAYS or not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"digest.cron: {spec!r} is not a day and a time")
    return day, hour, minute


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"no time zone {name!r}") from None
    return name


def _one_of(*choices: str) -> Rule:
    return _bounded(f"{', '.join(choices[:-1])} or {choices[-1]}", lambda value: value in choices)


POSITIVE = _bounded("greater than 0", lambda value: value > 0)
NON_NEGATIVE = _bounded("0 or more", lambda value: value >= 0)
ONE_OR_MORE = _bounded("1 or more", lambda value: value >= 1)
PROBABILITY = _bounded("between 0 and 1", lambda value: 0 < value < 1)
PERCENT = _bounded("a percentage from 1 to 100", lambda value: 1 <= value <= 100)
PORT = _bounded("a port from 1 to 65535", lambda value: 1 <= value <= 65535)
TIME_ZONE = Rule("an IANA time zone such as UTC or America/Chicago", _time_zone)
DAY_WINDOWS = Rule(
    "comma-separated whole numbers of days above 0, each once (e.g. 14,30,90)", parse_day_windows
)
WINDOW_WEIGHTS = Rule(
    "comma-separated days:weight pairs with weights above 0 (e.g. 14:2,30:1,90:0.5)",
    parse_window_weights,
)
WEEKLY_TIME = Rule("a day (mon ... sun) and a time (e.g. mon 07:00)", parse_weekly_time)


@dataclass(frozen=True)
class Setting:
    """One configurable value."""

    name: str
    default: str | int | float | bool
    help: str
    secret: bool = False
    env_aliases: tuple[str, ...] = ()
    rule: Rule | None = None  # what the value must mean beyond its type

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
    Setting(
        "timezone",
        "UTC",
        "The organisation's timezone, for recipients who set none.",
        rule=TIME_ZONE,
    ),
    # mail
    Setting("smtp.host", "", "SMTP server; empty delivers every message to the local maildir."),
    Setting("smtp.port", 587, "SMTP port.", rule=PORT),
    Setting(
        "smtp.security",
        "starttls",
        "Transport security: starttls, tls or none.",
        rule=_one_of("starttls", "tls", "none"),
    ),
    Setting("smtp.username", "", "SMTP login name (empty: no authentication)."),
    Setting("smtp.password", "", "SMTP password (environment or *_FILE only).", secret=True),
    Setting(
        "smtp.timeout", 30.0, "Overall timeout of one SMTP delivery, in seconds.", rule=POSITIVE
    ),
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
    Setting(
        "crawl.interval_hours", 24, "Hours between scheduled crawls of each source.", rule=POSITIVE
    ),
    Setting(
        "crawl.max_hours",
        6,
        "A crawl running longer is stopped and recorded failed; raise it for large rosters.",
        rule=POSITIVE,
    ),
    Setting(
        "crawl.stale_after_days",
        14,
        "A source that used to yield reviews and yields none for this long raises crawl-health.",
        rule=POSITIVE,
    ),
    Setting(
        "crawl.retry_after_max",
        3600.0,
        "Longest Retry-After (seconds) a crawl pauses a site for; a site asking for longer "
        "stops the crawl, recorded blocked.",
        rule=NON_NEGATIVE,
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
    Setting(
        "google.api",
        "new",
        "Google API for place ids given without a URL: new or legacy.",
        rule=_one_of("new", "legacy"),
    ),
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
        rule=ONE_OR_MORE,
    ),
    Setting(
        "outbox.backoff_seconds",
        60.0,
        "First retry delay; doubles on each attempt.",
        rule=NON_NEGATIVE,
    ),
    Setting(
        "outbox.stuck_after_seconds",
        600.0,
        "A message `sending` this long is retried.",
        rule=POSITIVE,
    ),
    Setting(
        "outbox.keep_bodies_days",
        30,
        "Bodies of sent mail are dropped after this many days; the row (who, what, when) stays.",
        rule=NON_NEGATIVE,
    ),
    # alerts
    Setting(
        "alerts.cluster.windows",
        "14,30,90",
        "Rolling windows (days, comma-separated) the cluster test uses.",
        rule=DAY_WINDOWS,
    ),
    Setting(
        "alerts.cluster.baseline_days",
        365,
        "Trailing baseline (days, excluding the window).",
        rule=POSITIVE,
    ),
    Setting(
        "alerts.cluster.min_history_days",
        60,
        "History needed before an entity can cluster.",
        rule=NON_NEGATIVE,
    ),
    Setting(
        "alerts.cluster.min_negatives", 3, "Gate: at least this many negatives.", rule=ONE_OR_MORE
    ),
    Setting(
        "alerts.cluster.min_distinct_reviewers",
        2,
        "Gate: from at least this many reviewers.",
        rule=ONE_OR_MORE,
    ),
    Setting(
        "alerts.cluster.fdr_q", 0.025, "Benjamini-Hochberg false discovery rate.", rule=PROBABILITY
    ),
    Setting(
        "alerts.cluster.window_weights",
        "14:2,30:1,90:0.5",
        "Weight of each window (days:weight) in the cluster FDR; unlisted windows weigh 1.",
        rule=WINDOW_WEIGHTS,
    ),
    Setting(
        "alerts.cluster.volume_prior_days",
        0.0,
        "Days of organisation-average volume blended into each entity's expected volume; "
        "0 estimates the blend from the data.",
        rule=NON_NEGATIVE,
    ),
    Setting(
        "alerts.cluster.surge_p",
        0.01,
        "A window whose positive reviews alone are this improbable is a volume surge: "
        "its expected negatives follow the window's own volume.",
        rule=PROBABILITY,
    ),
    Setting(
        "alerts.cluster.for_hours",
        0.0,
        "A cluster must persist this long before firing.",
        rule=NON_NEGATIVE,
    ),
    Setting(
        "alerts.cluster.resolve_after_days",
        14.0,
        "A cluster no longer significant for this long resolves (no flapping).",
        rule=NON_NEGATIVE,
    ),
    Setting(
        "alerts.resolve_after_days",
        1.0,
        "Other alerts resolve when absent this long.",
        rule=NON_NEGATIVE,
    ),
    Setting("alerts.repeat_days", 7.0, "Reminder interval for alerts still firing.", rule=POSITIVE),
    Setting("alerts.send_resolved", True, "Email when an alert resolves."),
    Setting(
        "alerts.rating_drop",
        1.0,
        "Rating-drop alert: fall in mean stars over 90 days.",
        rule=POSITIVE,
    ),
    Setting(
        "alerts.rating_min_count",
        5,
        "Rating-drop alert: reviews needed in each period.",
        rule=ONE_OR_MORE,
    ),
    Setting(
        "alerts.unanswered_days",
        7.0,
        "Negative review unanswered this long alerts.",
        rule=NON_NEGATIVE,
    ),
    # digests
    Setting(
        "digest.min_reviews_for_average",
        3,
        "Below this many reviews no average is shown.",
        rule=ONE_OR_MORE,
    ),
    Setting(
        "digest.cron",
        "mon 07:00",
        "When weekly digests go out (day HH:MM, recipient's tz).",
        rule=WEEKLY_TIME,
    ),
    Setting(
        "digest.response_deadline_days",
        7,
        "A negative review unanswered for longer is shown in red in digests.",
        rule=NON_NEGATIVE,
    ),
    Setting(
        "digest.response_target_pct",
        90,
        "Share of negative reviews (%) to answer within the deadline; digests show it as target.",
        rule=PERCENT,
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


def _check(
    values: Mapping[str, Any], origins: Mapping[str, str]
) -> tuple[dict[str, Any], list[str]]:
    """Each value in the form code uses (by its setting's rule), and a line per bad value."""
    parsed: dict[str, Any] = {}
    problems = []
    for s in SETTINGS:
        value = parsed[s.name] = values[s.name]
        if s.rule is None:
            continue
        try:
            parsed[s.name] = s.rule.parse(value)
        except ValueError:
            problems.append(f"{origins[s.name]}: {s.name} must be {s.rule.must_be}, got {value!r}")
    return parsed, problems


class Settings:
    """Effective settings: a read-only mapping of name to value, with the origin of each.
    Every value has been checked by its setting's rule: a bad one raises ConfigError here."""

    def __init__(
        self,
        values: dict[str, Any],
        origins: dict[str, str],
        base_dir: Path,
        config_file: Path | None = None,
    ) -> None:
        self._parsed, problems = _check(values, origins)
        if problems:
            raise ConfigError("\n".join(problems))
        self._values = values
        self._origins = origins
        self.base_dir = base_dir
        self.config_file = config_file  # the TOML file read, if any (crawl processes read it too)

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            raise ConfigError(f"unknown setting {name!r}")
        return self._values[name]

    def parsed(self, name: str) -> Any:
        """The value in the form its rule reads it, e.g. alerts.cluster.windows as (14, 30, 90)."""
        self[name]  # an unknown name is a ConfigError
        return self._parsed[name]

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
        path = Path(str(self["mail.maildir"])).expanduser()
        if not str(self["mail.maildir"]):
            return self.data_dir / "maildir"
        return path if path.is_absolute() else self.base_dir / path

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
    problems: list[str] = []  # every bad value is reported at once, one line each

    def read(setting: Setting, value: Any, origin: str) -> None:
        try:
            values[setting.name] = _convert(setting, value, origin)
        except ConfigError as exc:
            problems.append(str(exc))
            values[setting.name] = setting.default  # so its rule does not speak about it too
        origins[setting.name] = origin

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
            read(setting, value, str(path))
    elif explicit:
        raise ConfigError(f"config file {path} does not exist")
    for s in SETTINGS:
        for var in (env_name(s.name), *s.env_aliases):
            if var in environ:
                read(s, environ[var], var)
                break
        file_var = env_name(s.name) + "_FILE"
        if s.secret and environ.get(file_var):
            try:
                values[s.name] = Path(environ[file_var]).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"{file_var}: cannot read {environ[file_var]}: {exc}") from None
            origins[s.name] = file_var
    problems += _check(values, origins)[1]
    if problems:
        raise ConfigError("\n".join(problems))
    found = path.resolve() if path.exists() else None
    return Settings(values, origins, found.parent if found else cwd, found)
