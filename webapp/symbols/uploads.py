"""Taking an upload: check it, store what is new, record it, and start healing.

Idempotent: a file the store already holds with the same SHA-256 is not written again
(``unchanged``); a file with other content for the same debug file and id replaces it
(``replaced``, e.g. symbols regenerated with inline records). Each ``new`` or ``replaced``
module gets a healing job, which reprocesses the crashes that lacked it.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jansky.symbols.settings import SymbolsSettings
from jansky.symbols.store import SymbolStore, symbol_store_for
from jansky.symbols.upload import (
    InspectedUpload,
    SymbolUploadFile,
    inspect_upload,
    store_upload,
)
from webapp.crashstats import backends
from webapp.symbols.models import HealingJob, SymbolFile, SymbolUpload, UploadedSymbol

logger = logging.getLogger(__name__)

# Crashes in queues when the upload lands may still be dated after it.
HEAL_AFTER_UPLOAD = datetime.timedelta(hours=1)


def record_rejection(user: Any, name: str, size: int, message: str) -> SymbolUpload:
    return SymbolUpload.objects.create(
        user=user, file_name=name[:255], size=size, status=SymbolUpload.REJECTED, error=message
    )


def outcomes(upload: InspectedUpload, store: SymbolStore) -> dict[SymbolUploadFile, str]:
    """What storing each file would do: ``new``, ``replaced`` or ``unchanged``."""
    known = {
        row.key: row.sha256
        for row in SymbolFile.objects.filter(
            debug_id__in={item.key.debug_id for item in upload.files}
        )
    }
    result = {}
    for item in upload.files:
        present = store.size(item.key) is not None
        if not present:
            result[item] = UploadedSymbol.NEW
        elif known.get(item.key) == item.sha256:
            result[item] = UploadedSymbol.UNCHANGED
        else:
            result[item] = UploadedSymbol.REPLACED
    return result


def take_upload(
    path: Path, name: str, user: Any, store: SymbolStore, symbols: SymbolsSettings
) -> SymbolUpload:
    """Check, store and record the upload at ``path``; UploadRejected when it is refused (the
    caller records it). Storage failures propagate (the caller answers 503) after being
    recorded."""
    size = path.stat().st_size
    inspected = inspect_upload(path, symbols.limits, name)
    planned = outcomes(inspected, store)
    writes = [item for item, outcome in planned.items() if outcome != UploadedSymbol.UNCHANGED]
    new = {item.key for item, outcome in planned.items() if outcome == UploadedSymbol.NEW}
    try:
        store_upload(inspected, store, writes, new)
    except Exception as exc:
        SymbolUpload.objects.create(
            user=user,
            file_name=name[:255],
            size=size,
            status=SymbolUpload.FAILED,
            error=f"storing failed: {type(exc).__name__}",
        )
        raise
    return _record(user, name, size, planned, symbols)


def _record(
    user: Any,
    name: str,
    size: int,
    planned: dict[SymbolUploadFile, str],
    symbols: SymbolsSettings,
) -> SymbolUpload:
    now = timezone.now()
    with transaction.atomic():
        upload = SymbolUpload.objects.create(
            user=user, file_name=name[:255], size=size, status=SymbolUpload.STORED
        )
        UploadedSymbol.objects.bulk_create(
            UploadedSymbol(
                upload=upload,
                debug_file=item.key.debug_file,
                debug_id=item.key.debug_id,
                code_file=item.header.code_file,
                code_id=item.header.code_id,
                size=item.size,
                sha256=item.sha256,
                outcome=outcome,
            )
            for item, outcome in planned.items()
        )
        for item, outcome in planned.items():
            if outcome != UploadedSymbol.UNCHANGED:
                _index(item)
        HealingJob.objects.bulk_create(
            HealingJob(
                upload=upload,
                debug_file=item.key.debug_file,
                debug_id=item.key.debug_id,
                since=now - datetime.timedelta(days=symbols.heal_days),
                until=now + HEAL_AFTER_UPLOAD,
            )
            for item, outcome in planned.items()
            if outcome != UploadedSymbol.UNCHANGED
        )
    logger.info(
        "event=symbols_uploaded upload=%s files=%d user=%s",
        upload.pk,
        len(planned),
        getattr(user, "pk", None),
    )
    return upload


def _index(item: SymbolUploadFile) -> None:
    """Insert or update the store's row for ``item``."""
    fields = {
        "os": item.header.os[:40],
        "arch": item.header.arch[:40],
        "size": item.size,
        "sha256": item.sha256,
    }
    if item.header.code_id:  # else keep what healing learned from crashes, if anything
        fields.update(code_file=item.header.code_file, code_id=item.header.code_id)
    key = {"debug_file": item.key.debug_file, "debug_id": item.key.debug_id}
    try:
        with transaction.atomic():
            SymbolFile.objects.update_or_create(**key, defaults=fields)
    except IntegrityError:  # another upload of the same file inserted it meanwhile
        SymbolFile.objects.filter(**key).update(**fields)


def summary(upload: SymbolUpload, page_url: str) -> dict[str, Any]:
    """The upload as ``POST /symbols/upload`` answers it; ``page_url`` is its page."""
    files = list(upload.files.all())
    counts = {outcome: 0 for outcome, _ in UploadedSymbol.OUTCOMES}
    for item in files:
        counts[item.outcome] += 1
    return {
        "id": upload.pk,
        "url": page_url,
        "status": upload.status,
        "size": upload.size,
        **counts,
        "files": [
            {
                "debug_file": item.debug_file,
                "debug_id": item.debug_id,
                "code_file": item.code_file,
                "code_id": item.code_id,
                "size": item.size,
                "sha256": item.sha256,
                "outcome": item.outcome,
            }
            for item in files
        ],
    }


def store_for_request() -> SymbolStore:
    """The symbol store on this process's crash storage."""
    return symbol_store_for(backends.storage())


def symbols_settings() -> SymbolsSettings:
    return settings.JANSKY_SYMBOLS
