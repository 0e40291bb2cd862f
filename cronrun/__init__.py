"""cronrun: the scheduled jobs that keep the pipeline honest (a Django app of Crash Stats).

The jobs are declared once, in :mod:`cronrun.jobs`; :mod:`cronrun.runner` runs those that are
due, one at a time, each under a per-job lock in the database, backfilling missed runs and
retrying failed ones. `jansky cron` runs them every five minutes; docs/cron.md describes it all.
"""
