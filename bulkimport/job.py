"""One import, end to end: file, template, journal, reports, target; the typed Python API.

`run_job(ImportJob(...))` is what the CLI calls and what job files and other programs can call:
it opens everything, runs the pipeline and always closes the reports, so every row read has a
line in the report whatever stopped the run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import anyio

from bulkimport.config import (
    ENVIRONMENTS,
    NMBRS_CALLS_PER_SECOND,
    Country,
    Credentials,
    RetryPolicy,
    TransportSettings,
)
from bulkimport.errors import ConfigError, FatalError, TemplateError
from bulkimport.journal import (
    DryRunJournal,
    Journal,
    MemoryJournal,
    digest_file,
    read_run_info,
)
from bulkimport.mapping.mapper import bind_columns
from bulkimport.mapping.template import Template, load_builtin_template, load_template
from bulkimport.pipeline import Importer, RunOptions
from bulkimport.report import (
    FailedRowsWriter,
    ReportWriter,
    RunSummary,
    default_failed_path,
    default_report_base,
)
from bulkimport.sources import open_source
from bulkimport.transport import AiohttpTransport, DryRunTransport, Transport, check_endpoint

# The built-in demo target stands in November 2026, the month the shipped samples were written
# for: against a calendar-driven emulator their December 2026 dates would one day fall into a
# protected past period and every sample row would fault.
DEMO_PERIOD: Final = (2026, 11)


@dataclass(frozen=True, slots=True)
class ImportJob:
    """Everything one import needs. `endpoint=None` targets the built-in emulator."""

    input_path: Path
    template: str  # a built-in template name or a path to a .toml file
    company_id: int
    endpoint: str | None = None
    environment: str | None = None  # nl, se or sandbox: picks the host and the country
    credentials: Credentials | None = None
    country: Country | None = None
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


def resolve_template(name_or_path: str) -> Template:
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise TemplateError(f"template file {path} does not exist")
        return load_template(path)
    return load_builtin_template(name_or_path)


@dataclass(frozen=True, slots=True)
class _Target:
    base_url: str
    credentials: Credentials
    country: Country
    description: str
    ephemeral: bool  # the in-process emulator forgets everything when the run ends


@asynccontextmanager
async def _open_target(job: ImportJob) -> AsyncIterator[_Target]:
    """Where the calls go: an explicit endpoint, an Nmbrs environment, or the emulator."""
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
        yield _Target(base_url, job.credentials, country, base_url, ephemeral=False)
        return
    from bulkimport.emulator import EmulatorConfig, emulator_in_thread

    # Its own thread and loop: sharing the client's loop would distort the pacing it demos.
    async with emulator_in_thread(EmulatorConfig(current_period=DEMO_PERIOD)) as emulator:
        country = job.country or emulator.country_of(job.company_id) or Country.NL
        yield _Target(
            emulator.base_url,
            emulator.credentials,
            country,
            f"the built-in Nmbrs emulator at {emulator.base_url}",
            ephemeral=True,
        )


async def run_job(
    job: ImportJob,
    *,
    on_start: Callable[[str], None] | None = None,
    stop: anyio.Event | None = None,
) -> ImportOutcome:
    """Run one import. `on_start` hears one line about the target; setting `stop` ends early."""
    template = resolve_template(job.template)
    input_path = job.input_path
    report_base = job.report_base or default_report_base(input_path)
    failed_path = job.failed_path or default_failed_path(input_path)
    async with AsyncExitStack() as stack:
        target = await stack.enter_async_context(_open_target(job))
        if on_start is not None:
            on_start(f"target: {target.description}")
        files = stack.enter_context(ExitStack())
        source = files.enter_context(open_source(input_path, sheet=job.sheet))
        binding = bind_columns(template, source.info)
        journal_path = _journal_path(job, target, report_base)
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
                    input_sha256=input_digest.sha256,
                    input_size=input_digest.size,
                    template=template.name,
                    template_sha256=template.digest,
                    options=job_options(job, target.base_url),
                )
            )
        report = files.enter_context(ReportWriter(report_base, source.info, xlsx=job.xlsx_report))
        failed = files.enter_context(FailedRowsWriter(failed_path, source.info))
        settings = TransportSettings(
            base_url=target.base_url,
            credentials=target.credentials,
            rate=job.rate,
            concurrency=job.concurrency,
            timeout=job.timeout,
            insecure=job.insecure,
        )
        network = await stack.enter_async_context(AiohttpTransport(settings))
        sender: Transport = DryRunTransport(target.credentials) if job.dry_run else network
        importer = Importer(
            template=template,
            binding=binding,
            transport=sender,
            directory_transport=network,
            journal=journal,
            sinks=(report, failed),
            options=RunOptions(
                company_id=job.company_id,
                country=target.country,
                concurrency=job.concurrency,
                retry=job.retry,
                dry_run=job.dry_run,
                retry_failed=job.retry_failed,
                seed=job.seed,
            ),
        )
        async with anyio.create_task_group() as watchers:
            if stop is not None:

                async def watch_stop() -> None:
                    await stop.wait()
                    importer.stop()

                watchers.start_soon(watch_stop)
            try:
                summary = await importer.run(source.rows())
            except FatalError:
                # Every row already has its line (the rest reported skipped): keep the reports.
                report.close()
                failed.close()
                raise
            watchers.cancel_scope.cancel()
        warnings = tuple(source.warnings) + tuple(
            f"column {header!r} is not used by template {template.name}"
            for header in binding.unused_headers
        )
        resumed = journal.resumed
        latencies = network.latencies
    return ImportOutcome(
        summary=summary,
        report_paths=report.paths,
        partial_rows=failed.partial_rows_left_out,
        failed_path=failed.path if failed.rows_written else None,
        journal_path=journal_path,
        warnings=warnings,
        stopped_early=importer.stopped_early,
        resumed=resumed,
        target=target.description,
        call_latencies_s=latencies,
    )


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
    }


def job_from_journal(
    journal_path: Path, credentials: Credentials | None, *, retry_failed: bool
) -> ImportJob:
    """The job a journal was started for, to resume it exactly as it was begun."""
    options = read_run_info(journal_path).options
    country = options.get("country")
    report_base, failed_path = options.get("report_base"), options.get("failed_path")
    return ImportJob(
        input_path=Path(str(options["input"])),
        template=str(options["template"]),
        company_id=int(options["company_id"]),
        endpoint=str(options["endpoint"]),
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
    )


def _journal_path(job: ImportJob, target: _Target, report_base: Path) -> Path | None:
    """Where the journal goes (beside the report); None keeps it in memory.

    The in-process emulator forgets everything when the run ends, so a journal file would
    only promise a resume that cannot happen; a dry run sends nothing and keeps none.
    """
    if not job.keep_journal or target.ephemeral or job.dry_run:
        return None
    if job.journal_path is not None:
        return job.journal_path
    return report_base.with_name(f"{job.input_path.stem}.journal.sqlite")
