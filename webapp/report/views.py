"""Report pages: the crash report, the pending page, its status checks and reprocessing.

``report_index`` reads top to bottom: valid id -> raw crash (404 without) -> processed crash
(the pending page without, or while a reprocessing request is newer) -> the report.
"""

from __future__ import annotations

import logging
import time

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from jansky.crashid import InvalidCrashId, parse_crash_id
from jansky.queue import REPROCESSING, QueueError, make_body
from jansky.storage import CrashNotFound, StorageError
from webapp.crashstats import backends
from webapp.crashstats.pages import error_page, json_view
from webapp.crashstats.permissions import REPROCESS_CRASHES, access_for
from webapp.crashstats.responses import json_response
from webapp.report import pending
from webapp.report.crash import build_report

logger = logging.getLogger(__name__)

POLL_SECONDS = 5
INVALID_ID = (
    "Invalid crash ID: a crash id looks like de1bb258-cbbf-4589-a673-34f800160918 "
    "(a bp- prefix is allowed)."
)


def _canonical(crash_id: str) -> str | None:
    try:
        return parse_crash_id(crash_id)
    except InvalidCrashId:
        return None


def _storage_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("event=report_storage_failed error=%r", exc)
    response = error_page(
        request, 503, "The crash storage did not answer; try again in a moment.", "Unavailable"
    )
    response["Retry-After"] = "30"
    return response


@require_GET
def report_index(request: HttpRequest, crash_id: str) -> HttpResponse:
    canonical = _canonical(crash_id)
    if canonical is None:
        return error_page(request, 400, INVALID_ID, "Invalid crash ID")
    if canonical != crash_id:
        target = reverse("report:index", args=[canonical])
        query = request.META.get("QUERY_STRING")
        return redirect(f"{target}?{query}" if query else target)
    access = access_for(request)
    storage = backends.storage()
    try:
        raw = storage.load_raw_crash(crash_id)
    except CrashNotFound:
        return error_page(
            request, 404, f"No crash with the id {crash_id} is stored here.", "Crash Not Found"
        )
    except StorageError as exc:
        return _storage_unavailable(request, exc)
    try:
        processed = storage.load_processed_crash(crash_id)
    except CrashNotFound:
        processed = None
    except StorageError as exc:
        return _storage_unavailable(request, exc)
    since = pending.requested_at(request.GET.get("reprocessed"))
    if not pending.is_done(processed, since):
        return _pending_page(request, crash_id, processed is None, since)
    report = build_report(crash_id, raw, processed, access)
    context = {"report": report, "page_product": report.processed.get("product", "")}
    return render(request, "report/index.html", context)


def _pending_page(
    request: HttpRequest, crash_id: str, unprocessed: bool, since: float | None
) -> HttpResponse:
    queued = queue_failed = False
    if unprocessed:
        try:
            queued = pending.queue_priority(crash_id)
        except QueueError as exc:
            logger.warning("event=priority_queue_failed crash_id=%s error=%r", crash_id, exc)
            queue_failed = True
    status_url = reverse("report:status", args=[crash_id])
    if since is not None:
        status_url += f"?since={since}"
    context = {
        "crash_id": crash_id,
        "reprocessing": not unprocessed,
        "queued": queued,
        "queue_failed": queue_failed,
        "status_url": status_url,
        "report_url": reverse("report:index", args=[crash_id]),
        "poll_seconds": POLL_SECONDS,
    }
    response = render(request, "report/pending.html", context)
    response["Cache-Control"] = "no-store"
    return response


@json_view
@require_GET
def status(request: HttpRequest, crash_id: str) -> HttpResponse:
    """``{"processed": bool}``: what the pending page polls (after ``since``, when given)."""
    if _canonical(crash_id) != crash_id:
        return error_page(request, 400, INVALID_ID)
    since = pending.requested_at(request.GET.get("since"))
    try:
        processed = backends.storage().load_processed_crash(crash_id)
    except CrashNotFound:
        processed = None
    except StorageError as exc:
        return _storage_unavailable(request, exc)
    response = json_response({"processed": pending.is_done(processed, since)})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def reprocess(request: HttpRequest, crash_id: str) -> HttpResponse:
    """Queue the crash for reprocessing, then wait on its page for the new processed crash."""
    if _canonical(crash_id) != crash_id:
        return error_page(request, 400, INVALID_ID, "Invalid crash ID")
    if not access_for(request).has(REPROCESS_CRASHES):
        return error_page(
            request, 403, "Reprocessing needs the Reprocess Crashes permission.", "Forbidden"
        )
    requested = time.time()
    try:
        backends.queue().publish(REPROCESSING, [make_body(crash_id)])
    except QueueError as exc:
        logger.error("event=reprocess_failed crash_id=%s error=%r", crash_id, exc)
        messages.error(request, "The queue did not answer; the crash was not queued. Try again.")
        return redirect("report:index", crash_id=crash_id)
    logger.info("event=reprocess_requested crash_id=%s user=%s", crash_id, request.user.pk)
    messages.success(request, "The crash is queued for reprocessing.")
    return redirect(f"{reverse('report:index', args=[crash_id])}?reprocessed={requested:.3f}")
