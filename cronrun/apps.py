from django.apps import AppConfig


class CronrunConfig(AppConfig):
    name = "cronrun"
    # Socorro's label: the tables are cron_job and cron_log.
    label = "cron"
    verbose_name = "Scheduled jobs"
