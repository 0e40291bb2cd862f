"""Every API endpoint, by the name it is served under (``/api/<name>/``), in catalogue order."""

from __future__ import annotations

from webapp.api.declarations import Endpoint
from webapp.api.endpoints.crashes import CrashVerify, ProcessedCrash, RawCrash
from webapp.api.endpoints.meta import NoOp, VersionString, Whoami
from webapp.api.endpoints.missing import MissingProcessedCrash
from webapp.api.endpoints.reprocessing import Reprocessing
from webapp.api.endpoints.signatures import (
    Bugs,
    CrashSignature,
    SignatureFirstDate,
    SignaturesByBugs,
)
from webapp.api.endpoints.supersearch import SuperSearch, SuperSearchFields, SuperSearchUnredacted
from webapp.api.endpoints.symbols import MissingSymbols

ENDPOINTS: dict[str, Endpoint] = {
    endpoint.name: endpoint
    for endpoint in (
        Bugs(),
        CrashSignature(),
        CrashVerify(),
        MissingProcessedCrash(),
        MissingSymbols(),
        NoOp(),
        ProcessedCrash(),
        RawCrash(),
        Reprocessing(),
        SignatureFirstDate(),
        SignaturesByBugs(),
        SuperSearch(),
        SuperSearchFields(),
        SuperSearchUnredacted(),
        VersionString(),
        Whoami(),
    )
}
