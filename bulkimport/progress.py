"""Live progress of a run: rows done of the total, calls/s against the cap, ETA, counts.

`run_job` samples the run on a timer and hands each sample to a `ProgressObserver`; nothing is
counted or formatted per call for it (the counters are the run's own: its summary so far and
the transport's statistics). `figures` and `describe` are pure. The shell: `TerminalProgress`
redraws one line with rich on a terminal; `LogProgress` writes a structured log line every few
seconds where nobody watches a terminal (cron, CI), with no control characters.
"""

from __future__ import annotations

import sys
from collections import deque
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from bulkimport.logs import console_logging_to, progress_logger
from bulkimport.model import RowStatus
from bulkimport.report import RunSummary

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

TERMINAL_INTERVAL_S: Final = 0.5
LOG_INTERVAL_S: Final = 5.0
# The pace is taken over at least this long: the cap holds for every 1-second window, so over
# whole seconds the calls counted never show more than the cap (a shorter span could, by a
# burst the limiter allows within one second).
PACE_WINDOW_S: Final = 2.0


@dataclass(frozen=True, slots=True)
class RunProgress:
    """One sample of a run."""

    summary: RunSummary  # so far: rows per status, calls sent, seconds since the first call
    rows_total: int | None  # None: not known (only a new-hire file is read twice)
    cap: float  # the calls per second the run may make
    calls_per_row: int = 1  # what the template sends for a row, merge reads included

    @property
    def rows_done(self) -> int:
        return self.summary.rows


class ProgressObserver(Protocol):
    """Hears a sample every `interval_s` seconds of a run, and one when the rows are done."""

    @property
    def interval_s(self) -> float: ...

    def update(self, progress: RunProgress) -> None: ...


@dataclass(frozen=True, slots=True)
class ProgressFigures:
    """What a display shows of a sample, given the one before it."""

    rows_done: int
    rows_total: int | None
    calls_per_s: float  # since the earlier sample (since the first call without one)
    cap: float
    eta_s: float | None  # None: no total, or no pace yet
    counts: dict[RowStatus, int]
    throttled_calls: int
    refused_calls: int


def figures(current: RunProgress, previous: RunProgress | None = None) -> ProgressFigures:
    """The pace between an earlier sample and this one, and the time left at that pace.

    The time left is the calls left over the pace: the template's calls for every row of the
    file, less the calls made. (Calls per row done would overestimate while a hundred rows are
    half sent; an invalid row, which sends nothing, makes this a little pessimistic instead.)
    """
    summary = current.summary
    calls, seconds = summary.calls, summary.duration_s
    if previous is not None and summary.duration_s > previous.summary.duration_s:
        calls -= previous.summary.calls
        seconds -= previous.summary.duration_s
    rate = calls / seconds if seconds > 0 else 0.0
    eta: float | None = None
    done = current.rows_done
    if current.rows_total is not None and done >= current.rows_total:
        eta = 0.0
    elif current.rows_total is not None and rate > 0:
        eta = max(current.rows_total * current.calls_per_row - summary.calls, 0) / rate
    return ProgressFigures(
        rows_done=done,
        rows_total=current.rows_total,
        calls_per_s=rate,
        cap=current.cap,
        eta_s=eta,
        counts={status: summary.counts.get(status, 0) for status in RowStatus},
        throttled_calls=summary.throttled_calls,
        refused_calls=summary.refused_calls,
    )


class PaceWindow:
    """The samples of the last few seconds, so that the pace spans at least PACE_WINDOW_S."""

    def __init__(self) -> None:
        self._samples: deque[RunProgress] = deque()

    def figures(self, current: RunProgress) -> ProgressFigures:
        horizon = current.summary.duration_s - PACE_WINDOW_S
        samples = self._samples
        while len(samples) > 1 and samples[1].summary.duration_s <= horizon:
            samples.popleft()
        reference = samples[0] if samples and samples[0].summary.duration_s <= horizon else None
        samples.append(current)
        return figures(current, reference)


def format_duration(seconds: float | None) -> str:
    """`41` -> "0:41", `3723` -> "1:02:03"; unknown -> "-"."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def describe(shown: ProgressFigures) -> str:
    """The text beside the bar: pace against the cap, time left, rows per status, penalties.

    Statuses show once they occur (ok always), so the line stays short on a clean run.
    """
    counts = " ".join(
        f"{status.value} {count}"
        for status, count in shown.counts.items()
        if count or status is RowStatus.OK
    )
    penalties = f"throttled {shown.throttled_calls}"
    if shown.refused_calls:
        penalties += f" refused {shown.refused_calls}"
    return (
        f"{shown.calls_per_s:.0f}/{shown.cap:g} calls/s  ETA {format_duration(shown.eta_s)}  "
        f"{counts}  {penalties}"
    )


def log_fields(shown: ProgressFigures) -> dict[str, object]:
    """The progress line's fields for a structured log: numbers, not text to parse."""
    return {
        "rows_done": shown.rows_done,
        "rows_total": shown.rows_total,
        "calls_per_s": round(shown.calls_per_s, 1),
        "cap": shown.cap,
        "eta_s": None if shown.eta_s is None else round(shown.eta_s),
        **{status.value: count for status, count in shown.counts.items()},
        "throttled_calls": shown.throttled_calls,
        "refused_calls": shown.refused_calls,
    }


class LogProgress:
    """A structured log line (`progress`) every few seconds, through the run's logging."""

    def __init__(self, *, interval_s: float = LOG_INTERVAL_S) -> None:
        self._interval_s = interval_s
        self._pace = PaceWindow()

    @property
    def interval_s(self) -> float:
        return self._interval_s

    def update(self, progress: RunProgress) -> None:
        shown = self._pace.figures(progress)
        progress_logger().info("progress", **log_fields(shown))

    def close(self) -> None:
        """Nothing to take down: each line is complete when written."""


class TerminalProgress:
    """A rich progress bar on stderr, redrawn at each sample; `close` leaves its last state.

    While it shows, log lines and messages on stderr are printed above it instead of through
    it. It refreshes only when sampled: no thread of its own.
    """

    def __init__(
        self, console: Console | None = None, *, interval_s: float = TERMINAL_INTERVAL_S
    ) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._interval_s = interval_s
        self._bar: Progress = Progress(
            TextColumn("rows"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            console=console or Console(stderr=True),
            auto_refresh=False,
            redirect_stdout=False,  # the summary on stdout may go to a file or a pipe
            redirect_stderr=True,
        )
        self._task: TaskID | None = None
        self._pace = PaceWindow()
        self._showing = ExitStack()

    @property
    def interval_s(self) -> float:
        return self._interval_s

    def update(self, progress: RunProgress) -> None:
        shown = self._pace.figures(progress)
        if self._task is None:
            self._bar.start()
            self._showing.callback(self._bar.stop)
            self._showing.enter_context(console_logging_to(sys.stderr))  # rich's proxy now
            self._task = self._bar.add_task("rows", total=progress.rows_total, detail="")
        self._bar.update(
            self._task, completed=shown.rows_done, total=shown.rows_total, detail=describe(shown)
        )
        self._bar.refresh()

    def close(self) -> None:
        self._showing.close()


def progress_for_stderr() -> TerminalProgress | LogProgress:
    """The bar on a terminal, else log lines (cron, CI, a pipe)."""
    isatty = getattr(sys.stderr, "isatty", None)
    return TerminalProgress() if isatty is not None and isatty() else LogProgress()
