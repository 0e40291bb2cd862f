"""Upload endpoint and pages: the upload history with healing progress, missing symbols."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from jansky.search import BadArgumentError, SearchError
from jansky.storage import StorageError
from jansky.symbols import missing
from jansky.symbols.layout import SymbolKey
from jansky.symbols.upload import UploadRejected
from webapp.crashstats.permissions import ANONYMOUS_ACCESS, UPLOAD_SYMBOLS, access_for, display_name
from webapp.crashstats.responses import error_response, json_response
from webapp.crashstats.supersearch import search
from webapp.symbols import healing
from webapp.symbols.models import SymbolFile, SymbolUpload
from webapp.symbols.receive import spooled_upload
from webapp.symbols.uploads import (
    record_rejection,
    store_for_request,
    summary,
    symbols_settings,
    take_upload,
)

logger = logging.getLogger(__name__)

UPLOADS_PER_PAGE = 50
DEFAULT_DAYS = 7
MAX_DAYS = 365
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000


@csrf_exempt  # only requests with a token get past the check below: cookies never upload
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """``POST /symbols/upload``: a zip of .sym files or one .sym file, with an ``Auth-Token``
    carrying ``upload_symbols``."""
    access = access_for(request)
    if not access.via_token or not access.has(UPLOAD_SYMBOLS):
        return error_response(
            403,
            f"Uploading symbols requires an API token (Auth-Token header) with the "
            f"'{display_name(UPLOAD_SYMBOLS)}' permission",
        )
    symbols = symbols_settings()
    name = request.GET.get("filename") or "upload"
    try:
        with spooled_upload(request, symbols.limits.max_upload_bytes) as (path, name):
            stored = take_upload(path, name, access.user, store_for_request(), symbols)
    except UploadRejected as exc:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
        record_rejection(access.user, name, size, str(exc))
        return error_response(exc.status, str(exc))
    except StorageError as exc:
        logger.error("event=symbols_upload_failed error=%r", exc)
        response = error_response(503, "the symbol store did not answer; try again later")
        response["Retry-After"] = "30"
        return response
    return json_response(summary(stored, _page_url(request, stored)), status=201)


def _page_url(request: HttpRequest, item: SymbolUpload) -> str:
    return request.build_absolute_uri(reverse("symbols:upload-detail", args=[item.pk]))


def _may_see_uploads(request: HttpRequest) -> None:
    if not access_for(request).has(UPLOAD_SYMBOLS):
        raise PermissionDenied(f"Requires the '{display_name(UPLOAD_SYMBOLS)}' permission")


@login_required
@require_GET
def uploads(request: HttpRequest) -> HttpResponse:
    """The upload history: everyone's for superusers, one's own otherwise."""
    _may_see_uploads(request)
    rows = SymbolUpload.objects.select_related("user")
    if not request.user.is_superuser:
        rows = rows.filter(user=request.user)
    page = Paginator(rows, UPLOADS_PER_PAGE).get_page(request.GET.get("page"))
    progress = healing.progress_of([item.pk for item in page])
    listed = [(item, progress.get(item.pk)) for item in page]
    return render(request, "symbols/uploads.html", {"page": page, "uploads": listed})


@login_required
@require_GET
def upload_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One upload: its files and, per module it brought, how healing goes."""
    _may_see_uploads(request)
    item = get_object_or_404(SymbolUpload.objects.select_related("user"), pk=pk)
    if not request.user.is_superuser and item.user_id != request.user.pk:
        raise PermissionDenied("This upload is someone else's")
    context = {
        "upload": item,
        "files": item.files.all(),
        "jobs": healing.job_rows(item),
        "progress": healing.progress_of([item.pk]).get(item.pk),
    }
    return render(request, "symbols/upload_detail.html", context)


def _public_search(params: Mapping[str, Any]) -> dict[str, Any]:
    """Super Search as an anonymous user: the missing-symbols field is public."""
    return search(params, ANONYMOUS_ACCESS)


@dataclass
class _Ranking:
    """The missing-symbols ranking a request asks for."""

    days: int
    limit: int
    product: str
    modules: list[missing.MissingModule]
    crashes: int


def _rank(request: HttpRequest) -> _Ranking | HttpResponse:
    """The ranking for ``?days=&limit=&product=``, or the answer saying why there is none."""
    try:
        days = int(request.GET.get("days", DEFAULT_DAYS))
        limit = int(request.GET.get("limit", DEFAULT_LIMIT))
    except ValueError:
        days = limit = 0
    if not 1 <= days <= MAX_DAYS or not 1 <= limit <= MAX_LIMIT:
        return HttpResponse(
            f"Bad request: days must be 1 to {MAX_DAYS} and limit 1 to {MAX_LIMIT:,}",
            status=400,
            content_type="text/plain",
        )
    product = request.GET.get("product", "").strip()
    try:
        modules, crashes = missing.rank_recent(_public_search, days, limit, product)
    except (BadArgumentError, SearchError) as exc:
        status = 400 if isinstance(exc, BadArgumentError) else 503
        return HttpResponse(f"Search failed: {exc}", status=status, content_type="text/plain")
    return _Ranking(days, limit, product, modules, crashes)


@require_GET
def missing_symbols(request: HttpRequest) -> HttpResponse:
    """Modules ranked by the crashes that lacked their symbols, with what the store has now."""
    ranking = _rank(request)
    if isinstance(ranking, HttpResponse):
        return ranking
    stored = _in_store(ranking.modules)
    context = {
        "modules": [(module, module.key in stored) for module in ranking.modules],
        "crashes": ranking.crashes,
        "days": ranking.days,
        "limit": ranking.limit,
        "product": ranking.product,
    }
    return render(request, "symbols/missing.html", context)


@require_GET
def missing_symbols_csv(request: HttpRequest) -> HttpResponse:
    """The ranking as ``debug_file,debug_id,code_file,code_id`` lines (symbol-upload scripts
    fetch these from the Microsoft symbol server, convert and upload them)."""
    ranking = _rank(request)
    if isinstance(ranking, HttpResponse):
        return ranking
    response = StreamingHttpResponse(missing.to_csv(ranking.modules), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="missing-symbols.csv"'
    return response


def _in_store(modules: list[missing.MissingModule]) -> set[SymbolKey]:
    """The keys of ``modules`` the store has a file for (uploaded since those crashes)."""
    ids = sorted({module.key.debug_id for module in modules})
    found: set[SymbolKey] = set()
    for start in range(0, len(ids), 500):
        rows = SymbolFile.objects.filter(debug_id__in=ids[start : start + 500])
        found.update(row.key for row in rows.only("debug_file", "debug_id"))
    return found


@require_GET
def upload_json(request: HttpRequest, pk: int) -> HttpResponse:
    """One upload as JSON (what ``POST /symbols/upload`` answered), with healing progress."""
    access = access_for(request)
    if not access.has(UPLOAD_SYMBOLS):
        return error_response(
            403, f"Requires the '{display_name(UPLOAD_SYMBOLS)}' permission", path=request.path
        )
    item = get_object_or_404(SymbolUpload, pk=pk)
    if not access.user.is_superuser and item.user_id != access.user.pk:
        return error_response(403, "This upload is someone else's")
    progress = healing.progress_of([item.pk]).get(item.pk)
    answer = summary(item, _page_url(request, item))
    return json_response({**answer, "healing": progress.as_dict() if progress else None})
