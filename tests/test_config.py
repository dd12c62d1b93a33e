import pytest

import config


def test_production_refuses_an_insecure_configuration_and_says_why(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CME_COOKIE_SECURE", "false")
    monkeypatch.setenv("MAIL_SERVER", "smtp.northbridge.example")
    monkeypatch.setenv("MAIL_USE_TLS", "false")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("CME_TASKS_URL", "sqlite:///instance/tasks.sqlite")
    monkeypatch.setenv("CME_SERVICE_URL", "http://cme.northbridge.example")
    with pytest.raises(config.InsecureConfiguration) as error:
        config.load(CME_ENV="production")
    assert error.value.reasons == [
        "SECRET_KEY must be set to a random value of at least 32 characters",
        "DATABASE_URL must be set (the embedded SQLite default is for development)",
        "CME_COOKIE_SECURE must not be turned off: session cookies go over HTTPS only",
        "RATELIMIT_STORAGE_URI must name a shared store such as redis://: each server process would otherwise keep "
        "its own count and multiply the sign-in limit",
        "CME_TASKS_URL must name a Redis server (redis://): the background workers of every server share its queue, "
        "and tasks kept in memory would run inside the web servers' requests",
        "CME_SERVICE_URL must be the service's https:// address: links in emails use it",
        "MAIL_USE_TLS must be on when mail goes to another host",
    ]


def test_production_refuses_an_empty_database_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("CME_SERVICE_URL", "https://cme.northbridge.example")
    monkeypatch.setenv("DATABASE_URL", "  ")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    monkeypatch.setenv("CME_TASKS_URL", "redis://127.0.0.1:6379/1")
    with pytest.raises(config.InsecureConfiguration) as error:
        config.load(CME_ENV="production")
    assert error.value.reasons == ["DATABASE_URL must be set (the embedded SQLite default is for development)"]


def test_production_starts_with_a_secure_configuration(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://cme@db.internal/cme")
    monkeypatch.delenv("CME_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("MAIL_USE_TLS", raising=False)
    monkeypatch.setenv("CME_SERVICE_URL", "https://cme.northbridge.example")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    monkeypatch.setenv("CME_TASKS_URL", "redis://127.0.0.1:6379/1")
    settings = config.load(CME_ENV="production")
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["MAIL_USE_TLS"] is True
    assert settings["TESTING"] is False
    assert settings["ARGON2_PARAMETERS"] == "production"


def test_only_the_test_configuration_hashes_with_cheap_parameters(monkeypatch, tmp_path):
    monkeypatch.setenv("CME_INSTANCE_PATH", str(tmp_path))
    assert config.load(CME_ENV="development")["ARGON2_PARAMETERS"] == "production"
    assert config.load(CME_ENV="test", SECRET_KEY="k" * 48)["ARGON2_PARAMETERS"] == "test"
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://cme@db.internal/cme")
    monkeypatch.setenv("CME_SERVICE_URL", "https://cme.northbridge.example")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    monkeypatch.setenv("CME_TASKS_URL", "redis://127.0.0.1:6379/1")
    with pytest.raises(config.InsecureConfiguration) as error:
        config.load(CME_ENV="production", ARGON2_PARAMETERS="test")
    assert error.value.reasons == [
        "ARGON2_PARAMETERS must be production: the test configuration's hashes are cheap to guess"
    ]


def test_development_makes_a_secret_key_once_and_keeps_it(monkeypatch, tmp_path):
    monkeypatch.setenv("CME_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.load(CME_ENV="development")["SECRET_KEY"]
    assert len(first) == 64
    assert config.load(CME_ENV="development")["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_development_defaults_to_sqlite_under_instance(monkeypatch, tmp_path):
    monkeypatch.setenv("CME_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config.load(CME_ENV="development")["DATABASE_URL"] == f"sqlite:///{tmp_path / 'cme.sqlite'}"


def test_an_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("CME_ENV", "staging")
    with pytest.raises(RuntimeError, match="CME_ENV must be one of development, test, production, not 'staging'"):
        config.environment()


def test_the_cme_command_refuses_production_in_one_line(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DATABASE_URL", "CME_TASKS_URL"}
    }
    env.update(CME_ENV="production", CME_INSTANCE_PATH=str(tmp_path))
    cme = Path(sys.executable).parent / "cme"
    result = subprocess.run([str(cme), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: The service will not start in production: SECRET_KEY must be set to a random value of at least 32 "
        "characters; DATABASE_URL must be set (the embedded SQLite default is for development); "
        "RATELIMIT_STORAGE_URI must name a shared store such as redis://: each server process would otherwise keep "
        "its own count and multiply the sign-in limit; CME_TASKS_URL must name a Redis server (redis://): the "
        "background workers of every server share its queue, and tasks kept in memory would run inside the web "
        "servers' requests; CME_SERVICE_URL must be the service's https:// address: links in emails use it"
    ]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "CME_CHECK_DUE_SCHOOL_DAYS",
            "health=3,wizard=2",
            "CME_CHECK_DUE_SCHOOL_DAYS: 'wizard' is not a kind of check: use one of health, social_care,",
        ),
        ("CME_OTHER_LA_WAIT_SCHOOL_DAYS", "0", "CME_OTHER_LA_WAIT_SCHOOL_DAYS: '0' must be a whole number of school"),
        ("CME_MONITORING_REVIEW_SCHOOL_DAYS", "six", "CME_MONITORING_REVIEW_SCHOOL_DAYS: 'six' must be a whole number"),
        ("MAIL_PORT", "smtp", "MAIL_PORT: 'smtp' must be a port number from 1 to 65535"),
        (
            "MAIL_TIMEOUT",
            "ten",
            "MAIL_TIMEOUT: 'ten' must be a number of seconds more than 0 and at most 300, such as 10 or 2.5",
        ),
        ("CME_MAX_UPLOAD_BYTES", "20MB", "CME_MAX_UPLOAD_BYTES: '20MB' must be a whole number of bytes from 1024 to"),
        ("CME_PROXY_HOPS", "-1", "CME_PROXY_HOPS: '-1' must be a whole number of proxies from 0 to 10"),
        ("CME_TIMETABLE_RETURN_REMINDER_SCHOOL_DAYS", "2.5", "CME_TIMETABLE_RETURN_REMINDER_SCHOOL_DAYS: '2.5' must"),
    ],
)
def test_a_setting_the_service_cannot_use_names_itself(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(config.InvalidSetting) as error:
        config.load(CME_ENV="development")
    assert str(error.value).startswith(message)


def test_casework_settings_default_to_twenty_school_days_waiting_and_thirty_to_a_review(monkeypatch):
    for name in ("CME_CHECK_DUE_SCHOOL_DAYS", "CME_OTHER_LA_WAIT_SCHOOL_DAYS", "CME_MONITORING_REVIEW_SCHOOL_DAYS"):
        monkeypatch.delenv(name, raising=False)
    settings = config.load(CME_ENV="development")
    assert (settings["OTHER_LA_WAIT_SCHOOL_DAYS"], settings["MONITORING_REVIEW_SCHOOL_DAYS"]) == (20, 30)
    assert settings["CHECK_DUE_SCHOOL_DAYS"]["home_visit"] == 10
