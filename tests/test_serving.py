"""`cme serve` as a council's IT runs it: gunicorn with defaults for the machine, and its settings."""

import json

import pytest

import config
from portal import cli
from tests.conftest import make_app


def test_gunicorn_runs_sync_workers_with_timeouts_the_proxy_s_addresses_and_no_access_log_of_its_own():
    assert cli.gunicorn_argv("10.0.0.2", 8000, 5, "10.0.0.5,10.0.0.6", "json") == [
        "gunicorn",
        "--no-control-socket",
        "--bind",
        "10.0.0.2:8000",
        "--workers",
        "5",
        "--worker-class",
        "sync",
        "--timeout",
        "60",
        "--graceful-timeout",
        "30",
        "--forwarded-allow-ips",
        "10.0.0.5,10.0.0.6",
        "--logger-class",
        "portal.logs.GunicornLogger",
        "wsgi:create_app()",
    ]


def test_with_text_logs_gunicorn_keeps_its_own_plain_lines():
    argv = cli.gunicorn_argv("127.0.0.1", 8000, 1, "127.0.0.1,::1", "text")
    assert "--logger-class" not in argv
    assert argv[-3:] == ["--forwarded-allow-ips", "127.0.0.1,::1", "wsgi:create_app()"]


def test_workers_are_two_per_core_and_one_at_most_eight_unless_asked_for():
    assert [cli.worker_count(None, "redis://127.0.0.1:6379", cores) for cores in (1, 2, 3, 4, 16)] == [3, 5, 7, 8, 8]
    assert cli.worker_count(12, "redis://127.0.0.1:6379", cores=2) == 12
    assert cli.worker_count(12, "memory://", cores=2) == 1


def run_serve(app, monkeypatch, *args, cores=4):
    ran = []
    monkeypatch.setattr(cli, "usable_cores", lambda: cores)
    monkeypatch.setattr(cli.os, "execvp", lambda file, argv: ran.append((file, argv)))
    with app.app_context():  # as the `cme` command line gives its commands
        result = app.test_cli_runner().invoke(args=["serve", *args])
    assert result.exit_code == 0, result.output
    [(file, argv)] = ran
    assert argv[:3] == [file, "-m", "gunicorn"]
    return result.output, argv[2:]


def test_cme_serve_runs_gunicorn_with_the_settings(database_url, monkeypatch):
    app = make_app(
        database_url,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
        FORWARDED_ALLOW_IPS="10.1.2.3",
        LOG_FORMAT="json",
    )
    output, argv = run_serve(app, monkeypatch, "--host", "10.0.0.2", "--port", "8080", cores=2)
    assert output == ""
    assert argv == cli.gunicorn_argv("10.0.0.2", 8080, 5, "10.1.2.3", "json")


def test_cme_serve_takes_the_workers_from_the_option_then_the_setting(database_url, monkeypatch):
    app = make_app(database_url, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379", WORKERS=3)
    _, from_setting = run_serve(app, monkeypatch)
    _, from_option = run_serve(app, monkeypatch, "--workers", "2")
    assert (from_setting[from_setting.index("--workers") + 1], from_option[from_option.index("--workers") + 1]) == (
        "3",
        "2",
    )


def test_cme_serve_runs_one_worker_and_says_why_while_rate_limits_are_in_memory(database_url, monkeypatch):
    app = make_app(database_url, WORKERS=4)
    output, argv = run_serve(app, monkeypatch)
    assert output == (
        "One worker process, since rate limits are kept in memory: set RATELIMIT_STORAGE_URI to a redis:// address "
        "to run more.\n"
    )
    assert argv[argv.index("--workers") + 1] == "1"


def test_serving_settings_default_to_json_logs_in_production_only(monkeypatch):
    for name in ("CME_LOG_FORMAT", "CME_WORKERS", "CME_FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    development = config.load(CME_ENV="development")
    assert (development["LOG_FORMAT"], development["WORKERS"], development["FORWARDED_ALLOW_IPS"]) == (
        "text",
        None,
        "127.0.0.1,::1",
    )
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://cme@db.internal/cme")
    monkeypatch.setenv("CME_SERVICE_URL", "https://cme.northbridge.example")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    monkeypatch.setenv("CME_TASKS_URL", "redis://127.0.0.1:6379/1")
    assert config.load(CME_ENV="production")["LOG_FORMAT"] == "json"
    monkeypatch.setenv("CME_LOG_FORMAT", "Text")
    monkeypatch.setenv("CME_WORKERS", "6")
    monkeypatch.setenv("CME_FORWARDED_ALLOW_IPS", "10.0.0.0/24")
    production = config.load(CME_ENV="production")
    assert (production["LOG_FORMAT"], production["WORKERS"], production["FORWARDED_ALLOW_IPS"]) == (
        "text",
        6,
        "10.0.0.0/24",
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CME_LOG_FORMAT", "xml", "CME_LOG_FORMAT: 'xml' must be one of json, text"),
        ("CME_WORKERS", "0", "CME_WORKERS: '0' must be a whole number of worker processes from 1 to 64"),
        ("CME_WORKERS", "lots", "CME_WORKERS: 'lots' must be a whole number of worker processes from 1 to 64"),
        ("CME_WORKER_THREADS", "0", "CME_WORKER_THREADS: '0' must be a whole number of threads from 1 to 6"),
        (
            "CME_DIGESTS_AT",
            "6.30am",
            "CME_DIGESTS_AT: '6.30am' must be a time of day such as 06:30 (24-hour clock, UK time)",
        ),
        (
            "CME_RETENTION_AT",
            "24:00",
            "CME_RETENTION_AT: '24:00' must be a time of day such as 06:30 (24-hour clock, UK time)",
        ),
        # The address is not repeated: it can carry Redis's password.
        (
            "CME_TASKS_URL",
            "redis:/:secret@redis.internal/1",
            "CME_TASKS_URL: must start with one of redis://, rediss://, sqlite://, memory://",
        ),
    ],
)
def test_a_serving_setting_the_service_cannot_use_names_itself(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(config.InvalidSetting) as error:
        config.load(CME_ENV="development")
    assert str(error.value) == message


def test_gunicorn_s_own_lines_are_json_with_the_json_logger(capsys):
    from gunicorn.config import Config

    settings = Config()
    settings.set("logger_class", "portal.logs.GunicornLogger")
    logger = settings.logger_class(settings)  # as gunicorn loads `--logger-class`
    capsys.readouterr()
    logger.info("Booting worker with pid: %s", 4242)
    line = json.loads(capsys.readouterr().err)
    assert list(line) == ["time", "level", "logger", "message"]
    assert (line["level"], line["logger"], line["message"]) == (
        "INFO",
        "gunicorn.error",
        "Booting worker with pid: 4242",
    )


def test_the_schedule_s_times_default_and_retention_waits_to_be_set(monkeypatch, tmp_path):
    monkeypatch.setenv("CME_INSTANCE_PATH", str(tmp_path))
    for name in ("CME_DIGESTS_AT", "CME_RETURN_REMINDERS_AT", "CME_TERM_DATES_CHECK_AT", "CME_RETENTION_AT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CME_TASKS_URL", raising=False)
    settings = config.load(CME_ENV="development")
    assert settings["SCHEDULE_TIMES"] == {
        "digests": "06:30",
        "return_reminders": "06:40",
        "term_dates_check": "07:00",
        "retention": None,
    }
    assert settings["TASKS_URL"] == f"sqlite:///{tmp_path.resolve() / 'tasks.sqlite'}"
    monkeypatch.setenv("CME_RETENTION_AT", "2:15")
    assert config.load(CME_ENV="development")["SCHEDULE_TIMES"]["retention"] == "02:15"


def test_serve_with_worker_stops_the_other_process_when_one_ends():
    """`cme serve --with-worker` (`make run`): when one of the two ends, the other is stopped, and the first one's
    status is the command's."""
    import sys

    from portal.cli import run_together

    waits = [sys.executable, "-c", "import signal; signal.pause()"]
    ends = [sys.executable, "-c", "raise SystemExit(3)"]
    assert run_together([waits, ends]) == 3
