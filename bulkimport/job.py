"""One import, end to end: file, template, journal, reports, target; the typed Python API.

`run_job(ImportJob(...))` is what the CLI calls and what job files and other programs can call:
it opens everything, runs the pipeline and always closes the reports, so every row read has a
line in the report whatever stopped the run.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Protocol

import anyio
import structlog

from bulkimport.backend import Backend, BackendOperation, TransportStats
from bulkimport.config import (
    ENVIRONMENTS,
    NMBRS_CALLS_PER_SECOND,
    Country,
    Credentials,
    RetryPolicy,
    TransportSettings,
)
from bulkimport.endpoints import check_endpoint
from bulkimport.errors import ConfigError, FatalError, RetryableError, TemplateError
from bulkimport.guards import RowGuard, date_headers, employee_number_of, repeated_numbers
from bulkimport.htmlreport import (
    RowsNotOkCollector,
    RunPage,
    build_html_report,
    key_column,
    latency_percentiles,
    sensitive_columns,
)
from bulkimport.journal import (
    DryRunJournal,
    Journal,
    MemoryJournal,
    RunTarget,
    digest_file,
    read_run_info,
)
from bulkimport.limiter import CallRateLimiter
from bulkimport.mapping.mapper import ColumnBinding, bind_columns, header_hint
from bulkimport.mapping.template import Template, load_builtin_template, load_template
from bulkimport.model import NmbrsId, RowStatus, SourceRow
from bulkimport.nmbrs.rest.auth import ClientConfig
from bulkimport.nmbrs.rest.backend import RestBackend
from bulkimport.nmbrs.rest.session import (
    demo_client,
    emulator_tokens,
    rest_api_url,
    stored_tokens,
)
from bulkimport.nmbrs.rest.tokens import TokenSource
from bulkimport.nmbrs.rest.transport import DryRunRestTransport, RestSettings, RestTransport
from bulkimport.nmbrs.soap.backend import SoapBackend
from bulkimport.nmbrs.soap.faults import FAULT_MEANINGS
from bulkimport.nmbrs.soap.transport import (
    AiohttpTransport,
    DryRunTransport,
    Transport,
)
from bulkimport.notable import FirstRowsNotOk, RowNotOk
from bulkimport.pipeline import Importer, ResultSink, RunOptions
from bulkimport.planning import plan_for_run
from bulkimport.preflight import TargetFacts, check_target, pick_company
from bulkimport.progress import ProgressObserver, RunProgress
from bulkimport.receipt import Receipt, beside_report, write_receipt
from bulkimport.report import (
    FailedRowsWriter,
    ReportWriter,
    RunSummary,
    default_failed_path,
    default_report_base,
    html_report_path,
    write_text_atomically,
)
from bulkimport.retry import call_with_retries
from bulkimport.sources import RowSource, open_source
from bulkimport.timeline import CallTimeline
from bulkimport.undo import UndoWriter
from bulkimport.validation import check_input_file, prepare_output_folders, validate_job

# The built-in demo target stands in November 2026, the month the shipped samples were written
# for: against a calendar-driven emulator their December 2026 dates would one day fall into a
# protected past period and every sample row would fault.
DEMO_PERIOD: Final = (2026, 11)
# The APIs a run can go through; part of a run's target.
SOAP_API: Final = "soap"
REST_API: Final = "rest"
APIS: Final = (SOAP_API, REST_API)

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class ImportJob:
    """Everything one import needs. No endpoint or environment targets the built-in emulator.

    Credentials without an endpoint or environment are refused unless `emulator` says the
    built-in emulator is meant: they belong to a real account.
    """

    input_path: Path
    template: str  # a built-in template name or a path to a .toml file
    company_id: NmbrsId
    endpoint: str | None = None
    environment: str | None = None  # nl, se or sandbox: picks the host and the country
    emulator: bool = False  # the built-in emulator on purpose, also when credentials are set
    credentials: Credentials | None = None
    country: Country | None = None  # when given, must match the company's own (its address)
    rate: float = NMBRS_CALLS_PER_SECOND
    concurrency: int = 100
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    report_base: Path | None = None
    failed_path: Path | None = None
    journal_path: Path | None = None
    keep_journal: bool = True  # False: faster, but an interrupted run cannot be resumed
    xlsx_report: bool = True
    dry_run: bool = False
    retry_failed: bool = False
    sheet: str | None = None
    insecure: bool = False
    seed: int | None = None
    allow_past_periods: bool = False  # send changes dated before the current period (Unprotected)
    ignore_columns: tuple[str, ...] = ()  # columns the user knowingly leaves out of the import
    include_hidden_rows: bool = False  # import rows hidden in a workbook instead of skipping them
    # One per account, shared by every import on it in this process (job files): the cap is
    # the account's, so its imports draw on one budget. None: this import gets its own.
    limiter: CallRateLimiter | None = field(default=None, compare=False)
    plan_path: Path | None = None  # apply exactly this plan (`bulkimport plan`), nothing else
    api: str = SOAP_API  # "rest": Nmbrs' REST API (OAuth login, UUID ids) instead of SOAP
    profile: str = "default"  # REST: the stored login (`bulkimport login --profile`)
    rest_client: ClientConfig | None = None  # REST: application id, secret, subscription key


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    summary: RunSummary
    report_paths: tuple[Path, ...]
    partial_rows: int  # rows applied in part: in the report, not in the failed-rows file
    failed_path: Path | None
    journal_path: Path | None
    warnings: tuple[str, ...]
    stopped_early: bool
    resumed: bool
    target: str
    call_latencies_s: tuple[float, ...]  # the most recent calls' reply times (benchmarks)
    dropped_columns: tuple[str, ...] = ()  # file columns not imported and not --ignore-column
    # The reasons of the first rows not ok (masked, no cell values), and how many more rows.
    rows_not_ok: tuple[RowNotOk, ...] = ()
    more_rows_not_ok: int = 0
    receipt_path: Path | None = None
    undo_paths: tuple[Path, ...] = ()  # the undo file and the creations to remove by hand


def resolve_template(name_or_path: str, backend: Backend | None = None) -> Template:
    """A template by shipped name or file path, checked against the backend's operations."""
    backend = backend or SoapBackend()
    operations, section = backend.template_operation, backend.template_section
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if path.is_dir():
            raise TemplateError(f"template {path} is a folder; give a template name or .toml file")
        if not path.is_file():
            raise TemplateError(f"template file {path} does not exist")
        return load_template(path, operations, section)
    return load_builtin_template(name_or_path, operations, section)


def backend_for(api: str) -> Backend:
    if api not in APIS:
        raise ConfigError(f"unknown API {api!r}; choose one of {', '.join(APIS)}")
    return RestBackend() if api == REST_API else SoapBackend()


@dataclass(frozen=True, slots=True)
class Target:
    base_url: str
    credentials: Credentials | None  # SOAP's; REST signs in with `tokens`
    country: Country  # what the environment implies; the company's address decides
    description: str
    ephemeral: bool  # the in-process emulator forgets everything when the run ends
    tokens: TokenSource | None = None


@asynccontextmanager
async def _open_rest_target(job: ImportJob) -> AsyncIterator[Target]:
    """REST: Nmbrs' one host with the stored login, or the emulator with a login of its own."""
    if job.endpoint or job.environment:
        api_url = rest_api_url(job.endpoint, job.environment)
        check_endpoint(api_url + "/", insecure=job.insecure)
        if job.rest_client is None:
            raise ConfigError(
                "no REST application: set NMBRS_CLIENT_ID, NMBRS_CLIENT_SECRET and "
                "NMBRS_SUBSCRIPTION_KEY or put them under [rest] in the config file"
            )
        environment = ENVIRONMENTS.get(job.environment or "nl")
        country = job.country or (environment.country if environment else Country.NL)
        async with stored_tokens(job.rest_client, job.profile) as tokens:
            yield Target(api_url, None, country, api_url, ephemeral=False, tokens=tokens)
        return
    from bulkimport.emulator import EmulatorConfig, emulator_in_thread

    async with (
        emulator_in_thread(EmulatorConfig(current_period=DEMO_PERIOD)) as emulator,
        emulator_tokens(emulator.origin, job.profile) as tokens,
    ):
        yield Target(
            emulator.origin,
            None,
            Country.NL,
            f"the built-in Nmbrs emulator's REST API at {emulator.origin}",
            ephemeral=True,
            tokens=tokens,
        )


@asynccontextmanager
async def open_target(job: ImportJob) -> AsyncIterator[Target]:
    """Where the calls go: an explicit endpoint, an Nmbrs environment, or the emulator."""
    if job.api == REST_API:
        async with _open_rest_target(job) as target:
            yield target
        return
    if job.endpoint or job.environment:
        environment = ENVIRONMENTS.get(job.environment or "nl")
        if environment is None:
            raise ConfigError(
                f"unknown environment {job.environment!r}; choose one of {', '.join(ENVIRONMENTS)}"
            )
        base_url = job.endpoint or environment.base_url
        if not base_url.endswith("/"):
            base_url += "/"
        check_endpoint(base_url, insecure=job.insecure)
        if job.credentials is None:
            raise ConfigError(
                "no Nmbrs credentials: set NMBRS_USERNAME, NMBRS_TOKEN and NMBRS_DOMAIN "
                "or put them in the config file"
            )
        country = job.country or environment.country
        yield Target(base_url, job.credentials, country, base_url, ephemeral=False)
        return
    from bulkimport.emulator import EmulatorConfig, emulator_in_thread

    # Its own thread and loop: sharing the client's loop would distort the pacing it demos.
    async with emulator_in_thread(EmulatorConfig(current_period=DEMO_PERIOD)) as emulator:
        yield Target(
            emulator.base_url,
            emulator.credentials,
            Country.NL,
            f"the built-in Nmbrs emulator at {emulator.base_url}",
            ephemeral=True,
        )


async def run_job(
    job: ImportJob,
    *,
    on_start: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    on_journal: Callable[[Path], None] | None = None,
    stop: anyio.Event | None = None,
    progress: ProgressObserver | None = None,
    confirm_risky: Callable[[Sequence[str]], Awaitable[None]] | None = None,
) -> ImportOutcome:
    """Run one import. `on_start` hears what the pre-flight found of the target (before
    anything is sent); setting `stop` ends early. A target that fails the pre-flight raises
    FatalError with nothing sent and no report written.

    `on_warning` hears each warning about the file as soon as it is known: those found while
    opening it (columns not imported, encoding guessed, hidden rows or sheets, 1904 dates,
    title rows) before the first call is sent, the rest when the rows have been read.
    `ImportOutcome.warnings` holds them all. `on_journal` hears the journal file once it is
    open: from then on the run can be resumed. `progress` hears a sample of the run every
    `progress.interval_s` seconds while rows are sent, and one when they are done.
    `confirm_risky` hears the risky changes a run without a plan found in the before values it
    read, before anything is sent; it raises to stop the run.
    """
    validate_job(job)
    check_input_file(job.input_path)
    backend = backend_for(job.api)
    template = resolve_template(job.template, backend)
    input_path = job.input_path
    report_base = job.report_base or default_report_base(input_path)
    failed_path = job.failed_path or default_failed_path(input_path)
    prepare_output_folders(input_path, report_base, failed_path, job.journal_path)
    async with AsyncExitStack() as stack:
        target = await stack.enter_async_context(open_target(job))
        if on_start is not None:
            on_start(f"target: {target.description}")
        files = stack.enter_context(ExitStack())
        source = files.enter_context(open_input(job, template))
        binding = bind_columns(template, source.info, ignore_columns=job.ignore_columns)
        warnings = [*source.warnings, *binding.warnings]
        read_warnings = len(source.warnings)
        if on_warning is not None:
            for warning in warnings:
                on_warning(warning)
        network = await stack.enter_async_context(open_network(job, target))
        first_call_at = time.monotonic()  # the pre-flight's reads count at the cap too
        first_call_time = datetime.now(UTC)
        facts = await check_company(network, backend, job, target, on_start)
        guard, rows_total = row_guard(job, template, binding, facts, backend)
        # The before values: the plan to apply, or for the undo file (and risky changes).
        with open_input(job, template) as first_pass:
            planned = await plan_for_run(
                job, first_pass, template, binding, facts, backend, network, guard
            )
        if planned.warning and on_warning is not None:
            on_warning(planned.warning)
        warnings += [planned.warning] if planned.warning else []
        if confirm_risky is not None and planned.risky:
            await confirm_risky(planned.risky)  # raises to stop the run: nothing is sent
        run_target = RunTarget(
            api=job.api,
            endpoint=target.base_url,
            environment=job.environment,
            domain=target.credentials.domain if target.credentials else f"profile {job.profile}",
            company_id=facts.company_id,
        )
        journal_path = _journal_path(job, target, report_base, run_target)
        journal: Journal | MemoryJournal | DryRunJournal
        if job.dry_run:
            journal = DryRunJournal()
        elif journal_path is None:
            journal = MemoryJournal()
        else:
            input_digest = digest_file(input_path)
            journal = files.enter_context(
                Journal.open(
                    journal_path,
                    input_name=input_path.name,
                    input_sha256=input_digest.sha256,
                    input_size=input_digest.size,
                    template=template.name,
                    template_sha256=template.digest,
                    target=run_target,
                    options=job_options(job, target.base_url),
                )
            )
            if on_journal is not None:
                on_journal(journal_path)
        report = files.enter_context(ReportWriter(report_base, source.info, xlsx=job.xlsx_report))
        failed = files.enter_context(FailedRowsWriter(failed_path, source.info))
        not_ok = RowsNotOkCollector(sensitive_columns(binding), key_column(binding))
        first_not_ok = FirstRowsNotOk()
        sinks: tuple[ResultSink, ...] = (report, failed, not_ok, first_not_ok)
        undo: UndoWriter | None = None
        # A resumed run reports its earlier rows again: with a plan their before values are
        # the plan's; without, what is read now would be the run's own after values.
        keeps_undo = job.plan_path is not None or not journal.resumed
        if planned.rows is not None and not job.dry_run and keeps_undo:
            undo = files.enter_context(
                UndoWriter(
                    beside_report(report_base, ".undo.csv"),
                    beside_report(report_base, ".undo-removals.csv"),
                    source.info,
                    template=template,
                    binding=binding,
                    planned=planned.rows,
                )
            )
            sinks = (*sinks, undo)
        sender: Transport = network
        if job.dry_run:
            sender = (
                DryRunTransport(target.credentials) if target.credentials else DryRunRestTransport()
            )
        importer = Importer(
            template=template,
            binding=binding,
            backend=backend,
            transport=sender,
            directory_transport=network,
            journal=journal,
            sinks=sinks,
            options=RunOptions(
                company_id=facts.company_id,
                country=facts.country,
                concurrency=job.concurrency,
                retry=job.retry,
                dry_run=job.dry_run,
                retry_failed=job.retry_failed,
                seed=job.seed,
            ),
            guard=planned.guard or guard,
            known_employees=facts.employees,
        )

        def counted_at_the_service(summary: RunSummary) -> RunSummary:
            if job.dry_run:
                return summary
            # Every attempt that went out, the pre-flight's reads included: all count at the
            # cap, so calls/s is over the time since the first of them.
            return replace(
                summary,
                calls=network.stats.calls,
                duration_s=time.monotonic() - first_call_at,
            )

        calls_per_row = sum(1 + (step.merge_from is not None) for step in template.operations)
        fatal: FatalError | None = None
        async with anyio.create_task_group() as watchers:
            if stop is not None:

                async def watch_stop() -> None:
                    await stop.wait()
                    importer.stop()

                watchers.start_soon(watch_stop)
            if progress is not None:
                observer = progress

                async def sample_progress() -> None:
                    while True:
                        await anyio.sleep(observer.interval_s)
                        so_far = counted_at_the_service(importer.summary())
                        sample = RunProgress(so_far, rows_total, job.rate, calls_per_row)
                        if not _shown(observer, sample):
                            return

                watchers.start_soon(sample_progress)
            try:
                summary = await importer.run(source.rows())
            except FatalError as error:
                # Every row already has its line (the rest reported skipped): keep the reports.
                report.close()
                failed.close()
                fatal = error
                summary = _summary_so_far(not_ok, network.stats, first_call_at)
            watchers.cancel_scope.cancel()
        receipt_path = _write_receipt(
            job, template, target, run_target, report_base, importer.counts, network.stats,
            (first_call_time, datetime.now(UTC)),
        )  # fmt: skip
        if fatal is not None:
            _write_html_report(
                job, template.name, run_target, target, summary, not_ok, network, report_base
            )
            raise fatal  # outside the task group: callers get the error, not a group around it
        for warning in source.warnings[read_warnings:]:  # found while the rows streamed
            warnings.append(warning)
            if on_warning is not None:
                on_warning(warning)
        summary = counted_at_the_service(summary)
        if progress is not None:
            _shown(progress, RunProgress(summary, rows_total, job.rate, calls_per_row))
        html_path = _write_html_report(
            job, template.name, run_target, target, summary, not_ok, network, report_base
        )
        resumed = journal.resumed
        latencies = network.latencies
    return ImportOutcome(
        summary=summary,
        report_paths=(*report.paths, html_path),
        partial_rows=failed.partial_rows_left_out,
        failed_path=failed.path if failed.rows_written else None,
        journal_path=journal_path,
        warnings=tuple(warnings),
        stopped_early=importer.stopped_early,
        resumed=resumed,
        target=target.description,
        call_latencies_s=latencies,
        dropped_columns=binding.unused_headers,
        rows_not_ok=tuple(first_not_ok.rows),
        more_rows_not_ok=first_not_ok.more,
        receipt_path=receipt_path,
        undo_paths=undo.paths if undo is not None else (),
    )


def _summary_so_far(
    not_ok: RowsNotOkCollector, stats: TransportStats, first_call_at: float
) -> RunSummary:
    """The counts of a run that a fatal error stopped, for its HTML report."""
    return RunSummary(
        counts=dict(not_ok.counts),
        calls=stats.calls,
        duration_s=time.monotonic() - first_call_at,
        throttled_calls=stats.throttled,
        limit_published=stats.limit_published,
        found_rate=stats.found_rate,
        refused_calls=stats.refused,
    )


def _write_html_report(
    job: ImportJob,
    template: str,
    run_target: RunTarget,
    target: Target,
    summary: RunSummary,
    not_ok: RowsNotOkCollector,
    network: TimedTransport,
    report_base: Path,
) -> Path:
    """`<report>.html` beside the CSV report: the page a person opens after the run."""
    path = html_report_path(report_base)
    # A dry run sends nothing of the import: the pre-flight's reads alone would make a chart.
    timeline = CallTimeline() if job.dry_run else network.timeline
    page = RunPage(
        input_name=job.input_path.name,
        template=template,
        target=target.description,
        company_id=run_target.company_id,
        finished_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        summary=summary,
        cap=job.rate,
        calls_per_second=timeline.calls_per_second,
        penalised_per_second=timeline.penalised_per_second,
        latency_s=() if job.dry_run else latency_percentiles(network.latencies),
        faults=not_ok.faults(FAULT_MEANINGS),
        rows=tuple(not_ok.rows),
        rows_not_listed=not_ok.rows_not_listed,
        dry_run=job.dry_run,
    )
    write_text_atomically(path, build_html_report(page))
    return path


def _shown(observer: ProgressObserver, sample: RunProgress) -> bool:
    """Hand a sample to the display; a display that breaks costs the progress, not the run."""
    try:
        observer.update(sample)
    except Exception:
        log.warning("progress display failed; the run goes on without it", exc_info=True)
        return False
    return True


def _write_receipt(
    job: ImportJob,
    template: Template,
    target: Target,
    run_target: RunTarget,
    report_base: Path,
    counts: Mapping[RowStatus, int],
    stats: TransportStats,
    call_times: tuple[datetime, datetime],
) -> Path:
    plan_digest = digest_file(job.plan_path).sha256 if job.plan_path is not None else None
    receipt = Receipt(
        input_path=str(job.input_path.resolve()),
        input_sha256=digest_file(job.input_path).sha256,
        template=template.name,
        template_sha256=template.digest,
        api=run_target.api,
        target=target.base_url,
        environment=job.environment,
        company_id=run_target.company_id,
        counts=counts,
        first_call_at=call_times[0] if stats.calls else None,
        last_call_at=call_times[1] if stats.calls else None,
        calls=stats.calls,
        penalised_calls=stats.throttled + stats.refused,
        dry_run=job.dry_run,
        plan_path=str(job.plan_path.resolve()) if job.plan_path is not None else None,
        plan_sha256=plan_digest,
    )
    # One per run, named by when it started: a later run of the same file keeps this one.
    started = call_times[0].strftime("%Y%m%dT%H%M%S%fZ")
    return write_receipt(beside_report(report_base, f".receipt.{started}.json"), receipt)


class TimedTransport(Protocol):
    """What the HTML report reads of the transport the calls went through."""

    @property
    def timeline(self) -> CallTimeline: ...
    @property
    def latencies(self) -> tuple[float, ...]: ...


class NetworkTransport(Transport, TimedTransport, Protocol):
    """A run's transport to the service, whichever the API: it sends, counts and times."""


@asynccontextmanager
async def open_network(job: ImportJob, target: Target) -> AsyncIterator[NetworkTransport]:
    """The run's transport for its API, on the job's shared limiter if it has one."""
    if target.tokens is not None:
        assert job.rest_client is not None or target.ephemeral
        client = job.rest_client or demo_client()
        settings = RestSettings(
            api_url=target.base_url,
            subscription_key=client.subscription_key,
            rate=job.rate,
            concurrency=job.concurrency,
            timeout=job.timeout,
            insecure=job.insecure,
        )
        async with RestTransport(settings, target.tokens, limiter=job.limiter) as rest:
            yield rest
        return
    assert target.credentials is not None
    soap_settings = TransportSettings(
        base_url=target.base_url,
        credentials=target.credentials,
        rate=job.rate,
        concurrency=job.concurrency,
        timeout=job.timeout,
        insecure=job.insecure,
    )
    async with AiohttpTransport(soap_settings, limiter=job.limiter) as soap:
        yield soap


async def resolve_company(
    network: Transport,
    backend: Backend,
    job: ImportJob,
    target: str,
) -> NmbrsId:
    """The company id `--company` names (id, number or exact name), from the company list.
    A SOAP company given by its id needs no read."""
    company_id = job.company_id
    if isinstance(backend, SoapBackend) and isinstance(company_id, int):
        return company_id
    rng = random.Random(job.seed)

    async def read(operation: BackendOperation, values: Mapping[str, Any]) -> Any:
        outcome = await call_with_retries(network, operation, values, policy=job.retry, rng=rng)
        return outcome.value

    companies: list[tuple[NmbrsId, str, str]]
    try:
        if isinstance(backend, RestBackend):
            listed = await backend.companies(read)
            companies = [
                (str(c["companyId"]), str(c.get("number") or ""), str(c.get("name") or ""))
                for c in listed
            ]
        else:  # SOAP lists ids and names; its id is the number a person uses
            named = await backend.list_companies(read)
            companies = [(key, str(key), name) for key, name in named.items()]
    except RetryableError as exc:
        raise ConfigError(f"cannot reach {target} (nothing was sent): {exc}") from exc
    company_id = pick_company(company_id, companies)
    if isinstance(backend, RestBackend):
        backend.company_id = company_id
    return company_id


async def check_company(
    network: Transport,
    backend: Backend,
    job: ImportJob,
    target: Target,
    announce: Callable[[str], None] | None,
) -> TargetFacts:
    """The company `--company` names and the pre-flight's facts of it, announced the same way
    for a run, a plan and a validation."""
    company_id = await resolve_company(network, backend, job, target.description)
    facts = await check_target(
        network,
        backend,
        company_id,
        target=target.description,
        requested_country=job.country,
        default_country=target.country,
        seed=job.seed,
    )
    if announce is not None:
        announce(describe_company(facts))
        for note in facts.notes:
            announce(f"warning: {note}")
    return facts


def open_input(job: ImportJob, template: Template) -> RowSource:
    """The input as the run reads it; the new-hire guard's first pass must read it the same way."""
    return open_source(
        job.input_path,
        sheet=job.sheet,
        include_hidden_rows=job.include_hidden_rows,
        header_hint=header_hint(template),
    )


def describe_company(facts: TargetFacts) -> str:
    name = f" {facts.company_name}" if facts.company_name else ""
    return (
        f"company {facts.company_id}{name}: {facts.country.value}, current period "
        f"{facts.period}, {len(facts.employees)} employees"
    )


def row_guard(
    job: ImportJob,
    template: Template,
    binding: ColumnBinding,
    facts: TargetFacts,
    backend: Backend,
) -> tuple[RowGuard, int | None]:
    """The pre-flight's facts, plus the employee numbers the file repeats (new hires only).

    Also the number of rows that first pass read (None when there was none): the total a
    progress display counts down from.
    """
    repeated: dict[int, int] = {}
    rows_read: int | None = None
    if template.creates_employee:
        # A first pass that keeps the numbers, not the rows: a repeated number must stop both
        # rows, also the first one, which a single pass would already have sent.
        rows_read = 0

        def numbers(rows: Iterator[SourceRow]) -> Iterator[int | None]:
            nonlocal rows_read
            for row in rows:
                rows_read += 1
                if row.skip_reason is None:
                    yield employee_number_of(binding, row, facts.country)

        with open_input(job, template) as first_pass:
            repeated = repeated_numbers(numbers(first_pass.rows()))
    headers = {bound.column.name: bound.header for bound in binding.columns}
    guard = RowGuard(
        template=template,
        company_id=facts.company_id,
        current_period=facts.period,
        allow_past_periods=job.allow_past_periods,
        existing_numbers=facts.employee_numbers,
        repeated_numbers=repeated,
        number_header=headers.get(template.key, template.key),
        headers=date_headers(template, headers),
        dating=backend.dating(),
    )
    return guard, rows_read


def job_options(job: ImportJob, target_url: str) -> dict[str, object]:
    """What the journal keeps of a job so that `bulkimport resume` can run it again (no token)."""
    return {
        "input": str(job.input_path.resolve()),
        "template": job.template,
        "company_id": job.company_id,
        "endpoint": target_url,
        "country": job.country.value if job.country else None,
        "rate": job.rate,
        "concurrency": job.concurrency,
        "timeout": job.timeout,
        "max_attempts": job.retry.max_attempts,
        "report_base": str(job.report_base) if job.report_base else None,
        "failed_path": str(job.failed_path) if job.failed_path else None,
        "xlsx_report": job.xlsx_report,
        "sheet": job.sheet,
        "insecure": job.insecure,
        "ignore_columns": list(job.ignore_columns),
        "include_hidden_rows": job.include_hidden_rows,
        "plan": str(job.plan_path.resolve()) if job.plan_path is not None else None,
        "api": job.api,
        "profile": job.profile,
    }


def job_from_journal(
    journal_path: Path,
    credentials: Credentials | None,
    *,
    retry_failed: bool,
    rest_client: ClientConfig | None = None,
) -> ImportJob:
    """The job a journal was started for, to resume it exactly as it was begun."""
    info = read_run_info(journal_path)
    options = info.options
    country = options.get("country")
    report_base, failed_path = options.get("report_base"), options.get("failed_path")
    return ImportJob(
        input_path=Path(str(options["input"])),
        template=str(options["template"]),
        company_id=info.target.company_id,
        endpoint=info.target.endpoint,
        environment=info.target.environment,
        credentials=credentials,
        country=Country(country) if country else None,
        rate=float(options["rate"]),
        concurrency=int(options["concurrency"]),
        timeout=float(options["timeout"]),
        retry=RetryPolicy(max_attempts=int(options["max_attempts"])),
        report_base=Path(str(report_base)) if report_base else None,
        failed_path=Path(str(failed_path)) if failed_path else None,
        journal_path=journal_path,
        xlsx_report=bool(options["xlsx_report"]),
        retry_failed=retry_failed,
        sheet=str(options["sheet"]) if options.get("sheet") else None,
        insecure=bool(options["insecure"]),
        ignore_columns=tuple(str(name) for name in _listed(options.get("ignore_columns"))),
        include_hidden_rows=bool(options.get("include_hidden_rows", False)),
        plan_path=Path(str(options["plan"])) if options.get("plan") else None,
        api=str(options.get("api") or SOAP_API),
        profile=str(options.get("profile") or "default"),
        rest_client=rest_client,
    )


def _listed(value: object) -> list[object]:
    """A list option from a journal; journals written before it existed have none."""
    return value if isinstance(value, list) else []


def _journal_path(
    job: ImportJob, target: Target, report_base: Path, run_target: RunTarget
) -> Path | None:
    """Where the journal goes (beside the report); None keeps it in memory.

    The default name carries the input's full name and the target's key, so the same file
    sent to another company, endpoint or environment starts a run of its own.

    The in-process emulator forgets everything when the run ends, so a journal file would
    only promise a resume that cannot happen; a dry run sends nothing and keeps none.
    """
    if not job.keep_journal or target.ephemeral or job.dry_run:
        return None
    if job.journal_path is not None:
        return job.journal_path
    # Applying a plan is a run of its own: the same plan again resumes it, a new plan does not.
    plan = f".plan-{digest_file(job.plan_path).sha256[:12]}" if job.plan_path is not None else ""
    return report_base.with_name(f"{job.input_path.name}.{run_target.key}{plan}.journal.sqlite")
