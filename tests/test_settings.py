from pathlib import Path

import pytest

from reputation.errors import ConfigError
from reputation.settings import SETTINGS, env_name, load_settings


def test_defaults_give_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    s = load_settings(None, {}, tmp_path)
    assert s.database_url == f"sqlite:///{tmp_path / 'repmon-data' / 'repmon.db'}"
    assert s.maildir == tmp_path / "repmon-data" / "maildir"
    assert all(s.origin(x.name) == "default" for x in SETTINGS)


def test_toml_then_environment(tmp_path: Path) -> None:
    (tmp_path / "repmon.toml").write_text('[smtp]\nhost = "mail.local"\nport = 2525\n')
    s = load_settings(None, {"REPMON_SMTP_PORT": "25"}, tmp_path)
    assert s["smtp.host"] == "mail.local"
    assert s["smtp.port"] == 25
    assert s.origin("smtp.port") == "REPMON_SMTP_PORT"


def test_database_url_alias(tmp_path: Path) -> None:
    s = load_settings(None, {"REPMON_DATABASE_URL": "postgresql://x/y"}, tmp_path)
    assert s.database_url == "postgresql://x/y"


def test_unknown_and_mistyped_settings_name_the_problem(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[smtp]\nhots = "x"\n')
    with pytest.raises(ConfigError, match="unknown setting 'smtp.hots'"):
        load_settings(cfg, {}, tmp_path)
    cfg.write_text('[smtp]\nport = "many"\n')
    with pytest.raises(ConfigError, match="smtp.port must be a number"):
        load_settings(cfg, {}, tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", {}, tmp_path)


def test_secrets_only_from_environment_or_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[smtp]\npassword = "hunter2"\n')
    with pytest.raises(ConfigError, match="REPMON_SMTP_PASSWORD"):
        load_settings(cfg, {}, tmp_path)
    secret = tmp_path / "pw"
    secret.write_text("s3cret-from-file\n")
    s = load_settings(None, {"REPMON_SMTP_PASSWORD_FILE": str(secret)}, tmp_path)
    assert s["smtp.password"] == "s3cret-from-file"
    shown = dict((n, v) for n, v, _ in s.masked())
    assert shown["smtp.password"] == "********"
    assert "s3cret" not in repr(s.masked())
    s = load_settings(None, {"GOOGLE_API_KEY": "k-123"}, tmp_path)
    assert s["google.api_key"] == "k-123"


def test_env_names() -> None:
    assert env_name("smtp.host") == "REPMON_SMTP_HOST"
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)


def test_every_default_passes_its_rule(tmp_path: Path) -> None:
    s = load_settings(None, {}, tmp_path)
    assert s.parsed("alerts.cluster.windows") == (14, 30, 90)
    assert s.parsed("alerts.cluster.window_weights") == ((14, 2.0), (30, 1.0), (90, 0.5))
    assert s.parsed("digest.cron") == ("mon", 7, 0)
    assert s.parsed("smtp.port") == 587


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[alerts.cluster]\nwindows = "14,abc"\n',
            "alerts.cluster.windows must be comma-separated whole numbers of days above 0, "
            "each once (e.g. 14,30,90), got '14,abc'",
        ),
        ('[alerts.cluster]\nwindows = "14,0"\n', "alerts.cluster.windows must be"),
        ('[alerts.cluster]\nwindows = "14,14"\n', "alerts.cluster.windows must be"),
        ('[alerts.cluster]\nwindow_weights = "14:0"\n', "alerts.cluster.window_weights must be"),
        (
            'timezone = "Mars/Base"\n',
            "timezone must be an IANA time zone such as UTC or America/Chicago, got 'Mars/Base'",
        ),
        ('timezone = "../../etc/passwd"\n', "timezone must be an IANA time zone"),
        ("[crawl]\nmax_hours = -5\n", "crawl.max_hours must be greater than 0, got -5"),
        ("[alerts.cluster]\nfdr_q = 1.5\n", "alerts.cluster.fdr_q must be between 0 and 1"),
        ('[smtp]\nsecurity = "ssl"\n', "smtp.security must be starttls, tls or none"),
        ('[digest]\ncron = "monday"\n', "digest.cron must be a day (mon ... sun) and a time"),
        (
            "[digest]\nresponse_target_pct = 0\n",
            "digest.response_target_pct must be a percentage from 1 to 100, got 0",
        ),
    ],
)
def test_a_value_without_meaning_is_refused_naming_setting_and_file(
    tmp_path: Path, toml: str, message: str
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(toml)
    with pytest.raises(ConfigError) as raised:
        load_settings(cfg, {}, tmp_path)
    assert str(raised.value).startswith(f"{cfg}: {message}")


def test_every_bad_value_is_named_at_once_with_its_environment_variable(tmp_path: Path) -> None:
    env = {"REPMON_CRAWL_MAX_HOURS": "-5", "REPMON_SMTP_PORT": "many", "REPMON_TIMEZONE": "Mars"}
    with pytest.raises(ConfigError) as raised:
        load_settings(None, env, tmp_path)
    assert str(raised.value).splitlines() == [
        "REPMON_SMTP_PORT: smtp.port must be a number, got 'many'",
        "REPMON_TIMEZONE: timezone must be an IANA time zone such as UTC or America/Chicago, "
        "got 'Mars'",
        "REPMON_CRAWL_MAX_HOURS: crawl.max_hours must be greater than 0, got -5",
    ]


def test_overrides_are_checked_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="override: crawl.max_hours must be greater than 0"):
        load_settings(None, {}, tmp_path).with_overrides(crawl__max_hours=0)
