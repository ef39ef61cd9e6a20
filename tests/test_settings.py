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
