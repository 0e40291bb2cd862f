"""``missing_symbols_modules``: the modules without symbols, as the symbol store names them."""

from __future__ import annotations

from jansky.symbols.missing import FIELD, module_term
from processor.rules.base import CrashContext, Rule
from processor.rules.general import as_list, json_dump


class MissingSymbolsModulesRule(Rule):
    """``debug_file/debug_id/code_file/code_id`` of each module whose symbols the stackwalker
    looked for and did not find (see :mod:`jansky.symbols.missing` for why this field exists
    beside ``missing_symbols``)."""

    def action(self, crash: CrashContext) -> None:
        terms = set()
        for module in as_list(json_dump(crash).get("modules")):
            if isinstance(module, dict) and module.get("missing_symbols") is True:
                term = module_term(module)
                if term is not None:
                    terms.add(term)
        crash.processed_crash[FIELD] = sorted(terms)
