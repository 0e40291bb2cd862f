"""Remove users who no longer qualify from the groups that grant protected data."""

from __future__ import annotations

from typing import Any

from cronrun.commands import JobCommand
from cronrun.config import load_cron_jobs_settings
from cronrun.metrics import METRICS
from cronrun.tasks.audit import AuditRules, audit_groups


class Command(JobCommand):
    help = (
        "Remove inactive users, users of other e-mail domains (CRON_AUDIT_EMAIL_DOMAINS) "
        "without a policy exception, and users absent for CRON_AUDIT_INACTIVE_DAYS days "
        "without an unexpired token from the protected-data groups. "
        "Example: jansky cron auditgroups --dry-run"
    )
    has_dry_run = True

    def run(self, **options: Any) -> None:
        settings = load_cron_jobs_settings()
        rules = AuditRules(settings.audit_email_domains, settings.audit_inactive_days)
        removals = audit_groups(rules, options["run_time"], options["dry_run"])
        verb = "would remove" if options["dry_run"] else "removed"
        for removal in removals:
            self.say(f"{verb} {removal.username} from {removal.group}: {removal.reason}")
        if not options["dry_run"]:
            METRICS.incr("auditgroups.removed", len(removals))
        self.say(f"auditgroups: {verb} {len(removals)} group memberships")
