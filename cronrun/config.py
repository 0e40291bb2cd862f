"""cronrun's options: the runner (loop, locks, retries, reporting) and the jobs' settings.

Every option is an environment variable (the option name upper-cased); ``jansky config`` and
``docs/configuration.md`` list them from these declarations. They are read when used, so a
long-running loop picks up nothing new until it restarts, like every other Jansky service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from everett.manager import ListOf, Option, parse_bool

from jansky.config import config_manager


class CronConfig:
    """The cron runner (`jansky cron`): schedule loop, locks, retries, metrics and Sentry."""

    class Config:
        cron_loop_seconds = Option(
            default="300",
            parser=int,
            doc="Seconds between two passes of `jansky cron` over the due jobs.",
        )
        cron_lock_max_age_seconds = Option(
            default="7200",
            parser=int,
            doc=(
                "A job's lock older than this is taken to belong to a runner that died, and "
                "the next runner takes it over; keep it above the longest run of any job."
            ),
        )
        cron_error_retry_seconds = Option(
            default="60",
            parser=int,
            doc="Seconds after a failed run before the job is due again.",
        )
        cron_overdue_seconds = Option(
            default="7200",
            parser=int,
            doc=(
                "`/monitoring/cron/` reports a job as overdue (and answers 500) once it is "
                "this many seconds past its next run."
            ),
        )
        cron_log_output_bytes = Option(
            default="65536",
            parser=int,
            doc="The most of a run's output kept in its log row (the end is kept).",
        )
        cron_statsd_host = Option(
            default="",
            doc="dogstatsd host for the jobs' metrics; empty disables sending.",
        )
        cron_statsd_port = Option(default="8125", parser=int, doc="dogstatsd port.")
        cron_metrics_log = Option(
            default="false", parser=parse_bool, doc="Also write every metric to the log."
        )
        cron_sentry_dsn = Option(
            default="", doc="Sentry DSN; a failed job is reported there when it is set."
        )


class CronJobsConfig:
    """The scheduled jobs' settings (retention, product versions, Bugzilla, audits)."""

    class Config:
        cron_retention_days = Option(
            default="180",
            parser=int,
            doc=(
                "`retention` deletes crashes (raw, dumps, processed, search) filed this many "
                "days or more ago."
            ),
        )
        cron_workers = Option(
            default="8",
            parser=int,
            doc="Threads `verifyprocessed` and `retention` use to list and check storage.",
        )
        cron_search_weeks_ahead = Option(
            default="1",
            parser=int,
            doc="`searchindices` creates the weekly search indices this many weeks ahead.",
        )
        cron_productversions_days = Option(
            default="30",
            parser=int,
            doc="`productversions` derives active versions from crashes of this many days.",
        )
        cron_productversions_min_crashes = Option(
            default="1",
            parser=int,
            doc=(
                "Crashes a version needs in that window to be active (raise it to keep the "
                "odd hand-edited version out of the pickers)."
            ),
        )
        cron_bugzilla_url = Option(
            default="",
            doc=(
                "Base URL of a Bugzilla REST API (`https://bugzilla.mozilla.org/rest`); "
                "`bugassociations` is off while it is empty."
            ),
        )
        cron_bugzilla_api_key = Option(
            default="", doc="Bugzilla API key, sent as `X-BUGZILLA-API-KEY` (optional)."
        )
        cron_bugzilla_timeout = Option(
            default="30", parser=float, doc="Seconds a Bugzilla request may take."
        )
        cron_audit_email_domains = Option(
            default="",
            parser=ListOf(str),
            doc=(
                "Comma-separated e-mail domains whose users may hold protected-data groups "
                "without a policy exception; empty admits every domain."
            ),
        )
        cron_audit_inactive_days = Option(
            default="365",
            parser=int,
            doc=(
                "`auditgroups` removes from protected-data groups users who have not logged in "
                "for this many days and hold no unexpired API token."
            ),
        )
        cron_log_retention_days = Option(
            default="180",
            parser=int,
            doc="`cleanse_cronlog` deletes cron log rows older than this many days.",
        )


@dataclass(frozen=True)
class CronSettings:
    loop_seconds: int = 300
    lock_max_age_seconds: int = 7200
    error_retry_seconds: int = 60
    overdue_seconds: int = 7200
    log_output_bytes: int = 65536
    statsd_host: str = ""
    statsd_port: int = 8125
    metrics_log: bool = False
    sentry_dsn: str = ""


@dataclass(frozen=True)
class CronJobsSettings:
    retention_days: int = 180
    workers: int = 8
    search_weeks_ahead: int = 1
    productversions_days: int = 30
    productversions_min_crashes: int = 1
    bugzilla_url: str = ""
    bugzilla_api_key: str = ""
    bugzilla_timeout: float = 30.0
    audit_email_domains: tuple[str, ...] = ()
    audit_inactive_days: int = 365
    log_retention_days: int = 180


class CronConfigurationError(ValueError):
    """cron options that cannot work; the message says which."""


def _check_positive(values: Mapping[str, int]) -> None:
    bad = [f"{name} must be at least 1, got {value}" for name, value in values.items() if value < 1]
    if bad:
        raise CronConfigurationError("; ".join(bad))


def load_cron_settings(env: Mapping[str, str] | None = None) -> CronSettings:
    config = config_manager(env).with_options(CronConfig)
    settings = CronSettings(
        loop_seconds=config("cron_loop_seconds"),
        lock_max_age_seconds=config("cron_lock_max_age_seconds"),
        error_retry_seconds=config("cron_error_retry_seconds"),
        overdue_seconds=config("cron_overdue_seconds"),
        log_output_bytes=config("cron_log_output_bytes"),
        statsd_host=config("cron_statsd_host"),
        statsd_port=config("cron_statsd_port"),
        metrics_log=config("cron_metrics_log"),
        sentry_dsn=config("cron_sentry_dsn"),
    )
    _check_positive(
        {
            "CRON_LOOP_SECONDS": settings.loop_seconds,
            "CRON_LOCK_MAX_AGE_SECONDS": settings.lock_max_age_seconds,
            "CRON_ERROR_RETRY_SECONDS": settings.error_retry_seconds,
            "CRON_OVERDUE_SECONDS": settings.overdue_seconds,
            "CRON_LOG_OUTPUT_BYTES": settings.log_output_bytes,
        }
    )
    return settings


def load_cron_jobs_settings(env: Mapping[str, str] | None = None) -> CronJobsSettings:
    config = config_manager(env).with_options(CronJobsConfig)
    settings = CronJobsSettings(
        retention_days=config("cron_retention_days"),
        workers=config("cron_workers"),
        search_weeks_ahead=config("cron_search_weeks_ahead"),
        productversions_days=config("cron_productversions_days"),
        productversions_min_crashes=config("cron_productversions_min_crashes"),
        bugzilla_url=config("cron_bugzilla_url").strip().rstrip("/"),
        bugzilla_api_key=config("cron_bugzilla_api_key").strip(),
        bugzilla_timeout=config("cron_bugzilla_timeout"),
        audit_email_domains=tuple(
            domain.strip().lower().lstrip("@")
            for domain in config("cron_audit_email_domains")
            if domain.strip()
        ),
        audit_inactive_days=config("cron_audit_inactive_days"),
        log_retention_days=config("cron_log_retention_days"),
    )
    _check_positive(
        {
            "CRON_RETENTION_DAYS": settings.retention_days,
            "CRON_WORKERS": settings.workers,
            "CRON_PRODUCTVERSIONS_DAYS": settings.productversions_days,
            "CRON_AUDIT_INACTIVE_DAYS": settings.audit_inactive_days,
            "CRON_LOG_RETENTION_DAYS": settings.log_retention_days,
        }
    )
    return settings
