"""The processor's rulesets: ``default`` (full processing) and ``regenerate_signature``."""

from __future__ import annotations

from jansky.schemas import Schema
from processor.config import ProcessorSettings
from processor.rules import general
from processor.rules import mozilla as moz
from processor.rules.annotations import CopyFromRawCrashRule
from processor.rules.base import Rule
from processor.rules.signature import SignatureRule
from processor.rules.stackwalker import MinidumpStackwalkRule
from processor.rules.symbols import MissingSymbolsModulesRule
from processor.service_stackwalker import ServiceStackwalker
from processor.signature.rule import ShutDownHangCrashingThreadRule, SignatureGeneratorRule
from processor.stackwalker import Stackwalker
from processor.stackwalker_service import ServiceSettings, StackwalkerService

RULESET_NAMES = ("default", "regenerate_signature")


def make_stackwalker(settings: ProcessorSettings) -> Stackwalker | ServiceStackwalker:
    """The walker STACKWALKER_MODE asks for; the service falls back on the one-shot process.

    ValueError for STACKWALKER_EXTRA_ARGS the service does not take.
    """
    one_shot = Stackwalker(
        path=settings.stackwalker_path,
        symbols_urls=settings.symbols_urls,
        symbols_paths=settings.symbols_paths,
        symbols_cache_path=settings.symbols_cache_path,
        symbols_tmp_path=settings.symbols_tmp_path,
        kill_timeout=settings.kill_timeout,
        extra_args=settings.extra_args,
    )
    if settings.stackwalker_mode == "process":
        return one_shot
    service = StackwalkerService(
        ServiceSettings(
            path=settings.service_path,
            cache_size=settings.service_cache_size,
            max_memory=settings.service_max_memory,
            max_walks=settings.threads,
            threads=settings.service_threads,
        )
    )
    return ServiceStackwalker(one_shot, service)


def build_rulesets(
    schema: Schema,
    stackwalk_rule: Rule,
    mozilla: bool = False,
    version_lookup: moz.VersionStringLookup | None = None,
) -> dict[str, list[Rule]]:
    """Both rulesets, in Socorro's rule order; ``mozilla`` adds the Mozilla-specific rules."""

    def only_mozilla(*rules: Rule) -> list[Rule]:
        return list(rules) if mozilla else []

    signature = SignatureRule(SignatureGeneratorRule())
    default: list[Rule] = [
        general.DeNullRule(),
        general.DeNoneRule(),
        general.CrashReportKeysRule(),
        general.CollectorMetadataRule(),
        *only_mozilla(moz.ConvertModuleSignatureInfoRule()),
        CopyFromRawCrashRule(schema),
        *only_mozilla(moz.FenixVersionRewriteRule(), moz.ESRVersionRewrite()),
        general.SubmittedFromRule(),
        general.IdentifierRule(),
        general.MinidumpSha256HashRule(),
        stackwalk_rule,
        general.ModuleURLRewriteRule(),
        general.CrashingThreadInfoRule(),
        general.TruncateStacksRule(),
        general.PossibleBitFlipsRule(),
        general.CrashInconsistenciesRule(),
        general.HasGuardPageAccessRule(),
        general.MajorVersionRule(),
        general.PluginRule(),
        general.ProcessTypeRule(),
        general.AccessibilityRule(),
        general.AddonsRule(),
        general.DatesAndTimesRule(),
        *only_mozilla(moz.OutOfMemoryBinaryRule(), moz.PHCRule()),
        general.BreadcrumbsRule(schema),
        general.JavaStackTraceRule(),
        general.MacBootArgsRule(),
        general.MacCrashInfoRule(),
        *only_mozilla(moz.MozCrashReasonRule(), moz.UtilityActorsNameRule()),
        general.ReportTypeRule(),
        general.CPUInfoRule(),
        general.AndroidCPUInfoRule(),
        *only_mozilla(moz.DistributionIdRule()),
        general.OSInfoRule(),
        general.AndroidOSInfoRule(),
        general.PlatformInfoRule(),
        *only_mozilla(moz.BetaVersionRule(version_lookup)),
        general.OSPrettyVersionRule(),
        general.TopMostFilesRule(),
        general.ModulesInStackRule(),
        general.MissingSymbolsRule(),
        MissingSymbolsModulesRule(),
        *only_mozilla(moz.ThemePrettyNameRule(), moz.MemoryReportExtractionRule()),
        general.SoftErrorsRule(),
        general.ThreadCountRule(),
        signature,
        *only_mozilla(SignatureRule(ShutDownHangCrashingThreadRule())),
    ]
    return {"default": default, "regenerate_signature": [signature]}


def rulesets_from_settings(settings: ProcessorSettings, schema: Schema) -> dict[str, list[Rule]]:
    """Rulesets for a running processor; checks the stackwalker runs (raises if it does not)."""
    lookup = (
        moz.VersionStringLookup(settings.version_string_api)
        if settings.mozilla_rules and settings.version_string_api
        else None
    )
    return build_rulesets(
        schema,
        MinidumpStackwalkRule(make_stackwalker(settings)),
        mozilla=settings.mozilla_rules,
        version_lookup=lookup,
    )
