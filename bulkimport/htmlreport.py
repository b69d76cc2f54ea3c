"""The run as one self-contained HTML page: counts, throughput against the cap, latency,
penalties, faults and the rows that did not succeed. Pure: no I/O.

`RowsNotOkCollector` is a result sink that keeps, in memory, what the page needs of the rows
(at most `MAX_LISTED_ROWS` of them, masked); `build_html_report` turns a `RunPage` into the
page's text. The page loads nothing: CSS, script and chart are inline, and its
Content-Security-Policy allows only that inline script and style (by hash), so no cell can run
code or fetch anything even if it got past the escaping. BSNs, IBANs and birth dates never
reach the page: cells of such columns are masked wherever a message quotes them, and every
message passes the log redaction too.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Final

from bulkimport.logs import is_sensitive_name, mask_text
from bulkimport.mapping.mapper import ColumnBinding
from bulkimport.model import NmbrsId, RowResult, RowStatus, SourceRow
from bulkimport.report import RunSummary

MAX_LISTED_ROWS: Final = 2000  # the page stays light; the CSV report lists every row
CHART_MAX_BARS: Final = 600  # longer runs are drawn in buckets of several seconds
MASK: Final = "[REDACTED]"
MIN_MASKED_LENGTH: Final = 4  # a shorter cell is no BSN, IBAN or date, and would mask at random
# Template column types whose values are personal data whatever the header is called.
SENSITIVE_TYPES: Final = frozenset({"identity_number", "iban"})
PERCENTILES: Final = ((50, "p50"), (90, "p90"), (99, "p99"))


@dataclass(frozen=True, slots=True)
class ListedRow:
    """One row that did not succeed, as the page shows it (already masked)."""

    row_number: int
    status: RowStatus
    employee: str
    operation: str
    fault_code: int | None
    message: str


@dataclass(frozen=True, slots=True)
class FaultCount:
    """How many rows ended on one Nmbrs fault code, and in which operations."""

    code: int
    meaning: str
    rows: int
    operations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RunPage:
    """Everything the page shows; `build_html_report` formats it and nothing else."""

    input_name: str
    template: str
    target: str
    company_id: NmbrsId
    finished_at: str
    summary: RunSummary
    cap: float
    calls_per_second: tuple[int, ...] = ()
    penalised_per_second: tuple[int, ...] = ()
    latency_s: tuple[tuple[str, float], ...] = ()  # ("p50", 0.012), ...
    faults: tuple[FaultCount, ...] = ()
    rows: tuple[ListedRow, ...] = ()
    rows_not_listed: int = 0
    dry_run: bool = False


def latency_percentiles(latencies: Iterable[float]) -> tuple[tuple[str, float], ...]:
    """p50, p90, p99 and max of the reply times (nearest rank); empty without replies."""
    ordered = sorted(latencies)
    if not ordered:
        return ()
    picked = [
        (name, ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]) for p, name in PERCENTILES
    ]
    return (*picked, ("max", ordered[-1]))


def sensitive_columns(binding: ColumnBinding) -> frozenset[int]:
    """The file columns whose cells are personal data: by template type, column or header name."""
    return frozenset(
        bound.index
        for bound in binding.columns
        if bound.index is not None
        and (
            bound.column.type in SENSITIVE_TYPES
            or is_sensitive_name(bound.column.name)
            or is_sensitive_name(bound.header)
        )
    )


def key_column(binding: ColumnBinding) -> int | None:
    """The file column holding the template's key (the employee number), if the file has it."""
    for bound in binding.columns:
        if bound.column.name == binding.template.key:
            return bound.index
    return None


def mask_message(message: str, row: SourceRow, sensitive: frozenset[int]) -> str:
    """The message without the row's sensitive cells (an invalid row's message quotes them),
    then through the log redaction, which masks what looks like a BSN, IBAN or date."""
    for index in sensitive:
        if index < len(row.cells) and row.cells[index] is not None:
            text = str(row.cells[index]).strip()
            if len(text) >= MIN_MASKED_LENGTH:
                message = message.replace(text, MASK)
    return mask_text(message)


@dataclass(slots=True)
class RowsNotOkCollector:
    """A result sink: the rows that did not succeed, masked, the fault codes met, and the
    rows per status (a run stopped by a fatal error has no other count of them)."""

    sensitive: frozenset[int] = frozenset()
    key_index: int | None = None
    limit: int = MAX_LISTED_ROWS
    counts: Counter[RowStatus] = field(default_factory=Counter)
    rows: list[ListedRow] = field(default_factory=list)
    rows_not_listed: int = 0
    fault_rows: Counter[int] = field(default_factory=Counter)
    fault_operations: dict[int, set[str]] = field(default_factory=dict)

    def write(self, row: SourceRow, result: RowResult) -> None:
        self.counts[result.status] += 1
        if result.status is RowStatus.OK:
            return
        if result.fault_code is not None:
            self.fault_rows[result.fault_code] += 1
            operations = self.fault_operations.setdefault(result.fault_code, set())
            if result.failed_operation:
                operations.add(result.failed_operation)
        if len(self.rows) >= self.limit:
            self.rows_not_listed += 1
            return
        employee = ""
        index = self.key_index
        if index is not None and index < len(row.cells) and row.cells[index] is not None:
            employee = mask_text(str(row.cells[index]))
        self.rows.append(
            ListedRow(
                row_number=result.row_number,
                status=result.status,
                employee=employee,
                operation=result.failed_operation,
                fault_code=result.fault_code,
                message=mask_message(result.message, row, self.sensitive),
            )
        )

    def faults(self, meanings: Mapping[int, str]) -> tuple[FaultCount, ...]:
        """Fault codes by how many rows they stopped, most first, each with its meaning."""
        return tuple(
            FaultCount(
                code=code,
                meaning=meanings.get(code, "not in the known list of Nmbrs fault codes"),
                rows=count,
                operations=tuple(sorted(self.fault_operations.get(code, ()))),
            )
            for code, count in sorted(self.fault_rows.items(), key=lambda item: (-item[1], item[0]))
        )


# --- the page ------------------------------------------------------------------------------

_STATUS_NOTES: Final[Mapping[RowStatus, str]] = {
    RowStatus.OK: "imported",
    RowStatus.INVALID: "bad input, nothing sent",
    RowStatus.FAULT: "refused by Nmbrs",
    RowStatus.FAILED: "no usable answer",
    RowStatus.SKIPPED: "not sent",
    RowStatus.NEEDS_REVIEW: "check in Nmbrs",
}

_CSS: Final = """
:root{--ok:#1b7f3b;--bad:#b42318;--warn:#b54708;--muted:#5f6b7a;--line:#d0d5dd}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#101828;
margin:0;background:#f6f7f9}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.meta{color:var(--muted);margin:0}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 18px;
margin-top:16px}
section h2{margin-top:0}
.cards{display:flex;flex-wrap:wrap;gap:10px;list-style:none;margin:0;padding:0}
.cards li{flex:1 1 130px;border:1px solid var(--line);border-radius:6px;padding:8px 12px}
.cards .n{display:block;font-size:24px;font-weight:600}
.cards .note{color:var(--muted);font-size:13px}
.st-ok .n{color:var(--ok)}.st-invalid .n,.st-fault .n,.st-failed .n{color:var(--bad)}
.st-needs_review .n,.st-skipped .n{color:var(--warn)}
.zero .n{color:var(--muted)}
dl.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;
margin:0}
dl.figures div{border-left:3px solid var(--line);padding-left:8px}
dt{color:var(--muted);font-size:13px}dd{margin:0;font-size:18px;font-weight:600}
svg{width:100%;height:auto;display:block}
.chart text{font-size:11px;fill:var(--muted)}
.chart .bar{fill:#4e79a7}.chart .pen{fill:var(--bad)}
.chart .cap{stroke:var(--bad);stroke-width:1.5;stroke-dasharray:6 4}
.chart .found{stroke:var(--warn);stroke-width:1.5;stroke-dasharray:2 3}
.chart .axis{stroke:#98a2b3}
.chart .cap-label{fill:var(--bad)}.chart .found-label{fill:var(--warn)}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f2f4f7;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.msg{word-break:break-word}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;background:#f2f4f7}
.badge.invalid,.badge.fault,.badge.failed{background:#fee4e2;color:var(--bad)}
.badge.needs_review,.badge.skipped{background:#fef0c7;color:var(--warn)}
.filters{display:flex;gap:10px;flex-wrap:wrap;margin-bottom:10px;align-items:center}
.filters input{flex:1 1 260px;padding:6px 8px;font:inherit;border:1px solid var(--line);
border-radius:6px}
.filters select{padding:6px 8px;font:inherit;border:1px solid var(--line);border-radius:6px}
.muted{color:var(--muted)}
"""

_SCRIPT: Final = """
(function () {
  var text = document.getElementById("row-filter");
  var status = document.getElementById("status-filter");
  var shown = document.getElementById("rows-shown");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#rows tbody tr"));
  function apply() {
    var words = text.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var wanted = status.value;
    var count = 0;
    rows.forEach(function (row) {
      var haystack = row.textContent.toLowerCase();
      var match = (!wanted || row.getAttribute("data-status") === wanted) &&
        words.every(function (word) { return haystack.indexOf(word) !== -1; });
      row.hidden = !match;
      if (match) { count += 1; }
    });
    shown.textContent = String(count);
  }
  text.addEventListener("input", apply);
  status.addEventListener("change", apply);
  apply();
})();
"""


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def build_html_report(page: RunPage) -> str:
    """The whole page as text: every value escaped, nothing loaded from anywhere."""
    policy = (
        "default-src 'none'; img-src data:; "
        f"style-src {_csp_hash(_CSS)}; script-src {_csp_hash(_SCRIPT)}"
    )
    title = f"bulkimport report: {page.input_name}"
    mode = " (dry run: nothing sent)" if page.dry_run else ""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(policy)}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{_e(title)}{_e(mode)}</h1>",
        f'<p class="meta">template <b>{_e(page.template)}</b> · company '
        f"<b>{_e(page.company_id)}</b> · {_e(page.target)} · finished {_e(page.finished_at)}</p>",
        _status_section(page.summary),
        _calls_section(page),
        _faults_section(page.faults),
        _rows_section(page),
        f"</main><script>{_SCRIPT}</script></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _status_section(summary: RunSummary) -> str:
    items = []
    for status in RowStatus:
        count = summary.counts.get(status, 0)
        zero = " zero" if count == 0 else ""
        items.append(
            f'<li class="st-{status.value}{zero}" data-status="{status.value}">'
            f'<span class="n">{count:,}</span>{_e(status.value)} '
            f'<span class="note">{_e(_STATUS_NOTES[status])}</span></li>'
        )
    return (
        '<section id="status-counts"><h2>Rows by status</h2>'
        f'<p class="meta">{summary.rows:,} rows in the file, each with a final status.</p>'
        f'<ul class="cards">{"".join(items)}</ul></section>'
    )


def _calls_section(page: RunPage) -> str:
    summary = page.summary
    figures = [
        ("calls", f"{summary.calls:,}"),
        ("duration", f"{summary.duration_s:.1f} s"),
        ("calls/s", f"{summary.calls_per_s:.1f}"),
        ("cap", f"{_number(page.cap)} calls/s"),
        ("retries", f"{summary.retries:,}"),
        ("penalised calls", f"{summary.throttled_calls:,}"),
    ]
    if summary.refused_calls or not summary.limit_published:
        figures.append(("refused calls", f"{summary.refused_calls:,}"))
    if summary.found_rate is not None:
        figures.append(("rate found", f"{summary.found_rate:.0f} calls/s"))
    figures += [(name, f"{seconds * 1000:.0f} ms") for name, seconds in page.latency_s]
    listed = "".join(
        f"<div><dt>{_e(name)}</dt><dd>{_e(value)}</dd></div>" for name, value in figures
    )
    latency_note = (
        "Reply times are from sending a call to its reply (p50/p90/p99: half, nine in ten, 99 in "
        "100 calls were at least this fast)."
        if page.latency_s
        else "No call got a reply, so there are no reply times."
    )
    return (
        '<section id="calls"><h2>Calls, throughput and reply times</h2>'
        f'<dl class="figures" id="latency">{listed}</dl>'
        f'<p class="meta">{_e(latency_note)} A penalised call is one that Nmbrs delayed by '
        "half a second for going over its rate.</p>"
        f"{_chart(page)}</section>"
    )


def _buckets(counts: Sequence[int], size: int) -> list[tuple[int, int]]:
    """(first second, total) per bucket of `size` seconds."""
    return [(start, sum(counts[start : start + size])) for start in range(0, len(counts), size)]


def _chart(page: RunPage) -> str:
    """Calls per second as bars, penalised calls in red, the cap as a dashed line."""
    calls = page.calls_per_second
    if not calls:
        return (
            '<p class="muted" id="throughput-chart">No calls were sent, so there is no chart.</p>'
        )
    size = max(1, math.ceil(len(calls) / CHART_MAX_BARS))
    bars = _buckets(calls, size)
    penalised = _buckets(page.penalised_per_second, size)
    rates = [total / min(size, len(calls) - start) for start, total in bars]
    found = page.summary.found_rate
    top = max([page.cap, *rates, found or 0.0]) * 1.12
    width, height = 760, 260
    left, right, upper, lower = 52, 12, 14, 34
    plot_w, plot_h = width - left - right, height - upper - lower
    step = plot_w / len(bars)

    def y(value: float) -> float:
        return upper + plot_h - value / top * plot_h

    bar_width = max(step * 0.85, 0.5)

    def bar(kind: str, index: int, rate: float, label: str) -> str:
        return (
            f'<rect class="{kind}" x="{left + index * step:.2f}" y="{y(rate):.2f}" '
            f'width="{bar_width:.2f}" height="{rate / top * plot_h:.2f}">'
            f"<title>{_e(label)}</title></rect>"
        )

    shapes: list[str] = []
    for index, ((start, _), rate) in enumerate(zip(bars, rates, strict=True)):
        label = (
            f"{start}-{start + size} s: {rate:.1f} calls/s"
            if size > 1
            else f"{start} s: {rate:.0f} calls"
        )
        shapes.append(bar("bar", index, rate, label))
    for index, (start, count) in enumerate(penalised):
        if count:
            rate = count / min(size, len(calls) - start)
            shapes.append(bar("pen", index, rate, f"from {start} s: {count} penalised"))
    cap_y = y(page.cap)
    shapes.append(
        f'<line class="cap" id="cap-line" x1="{left}" x2="{width - right}" y1="{cap_y:.2f}" '
        f'y2="{cap_y:.2f}"></line><text class="cap-label" x="{width - right - 4}" '
        f'y="{cap_y - 5:.2f}" text-anchor="end">cap {_e(_number(page.cap))} calls/s</text>'
    )
    if found is not None:
        found_y = y(found)
        shapes.append(
            f'<line class="found" x1="{left}" x2="{width - right}" y1="{found_y:.2f}" '
            f'y2="{found_y:.2f}"></line><text class="found-label" x="{left + 4}" '
            f'y="{found_y - 5:.2f}">rate found {found:.0f} calls/s</text>'
        )
    axes = [
        f'<line class="axis" x1="{left}" x2="{left}" y1="{upper}" y2="{upper + plot_h}"></line>',
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{upper + plot_h}" '
        f'y2="{upper + plot_h}"></line>',
    ]
    for value in sorted({0.0, page.cap / 2, page.cap}):
        label = _e(_number(value))
        axes.append(f'<text x="{left - 6}" y="{y(value) + 4:.2f}" text-anchor="end">{label}</text>')
    total = len(calls)
    for at in sorted({0, total // 2, total}):
        x = left + at / total * plot_w
        axes.append(
            f'<text x="{x:.2f}" y="{upper + plot_h + 16}" text-anchor="middle">{at} s</text>'
        )
    axes.append(
        f'<text x="{left + plot_w / 2:.2f}" y="{height - 4}" text-anchor="middle">'
        "seconds since the first call</text>"
    )
    axes.append(
        f'<text x="12" y="{upper + plot_h / 2:.2f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {upper + plot_h / 2:.2f})">calls per second</text>'
    )
    bucket_note = f" (bars of {size} s, as calls per second)" if size > 1 else ""
    return (
        '<h2 id="throughput-title">Throughput against the cap</h2>'
        f'<svg class="chart" id="throughput-chart" role="img" viewBox="0 0 {width} {height}" '
        'aria-labelledby="throughput-title throughput-desc">'
        f'<desc id="throughput-desc">Calls started per second{_e(bucket_note)}; penalised calls '
        f"in red; the dashed line is the cap of {_e(_number(page.cap))} calls per second.</desc>"
        f"{''.join(axes)}{''.join(shapes)}</svg>"
        f'<p class="meta">Calls started per second{_e(bucket_note)}, reads before the run '
        "included; the last second may be partial. Red: penalised calls.</p>"
    )


def _faults_section(faults: Sequence[FaultCount]) -> str:
    if not faults:
        body = '<p class="muted">No row ended on a fault from Nmbrs.</p>'
    else:
        lines = "".join(
            f'<tr><td class="num">{fault.code}</td><td>{_e(fault.meaning)}</td>'
            f'<td class="num">{fault.rows:,}</td><td>{_e(", ".join(fault.operations))}</td></tr>'
            for fault in faults
        )
        body = (
            '<table><thead><tr><th class="num">code</th><th>what Nmbrs means</th>'
            '<th class="num">rows</th><th>operations</th></tr></thead>'
            f"<tbody>{lines}</tbody></table>"
        )
    return f'<section id="faults"><h2>Faults by code</h2>{body}</section>'


def _rows_section(page: RunPage) -> str:
    rows = page.rows
    if not rows:
        return (
            '<section id="rows-section"><h2>Rows that did not succeed</h2>'
            '<p class="muted" id="rows">Every row succeeded.</p></section>'
        )
    statuses = [status for status in RowStatus if any(row.status is status for row in rows)]
    options = "".join(f'<option value="{s.value}">{_e(s.value)}</option>' for s in statuses)
    lines = "".join(
        f'<tr data-status="{row.status.value}"><td class="num">{row.row_number}</td>'
        f'<td><span class="badge {row.status.value}">{_e(row.status.value)}</span></td>'
        f"<td>{_e(row.employee)}</td><td>{_e(row.operation)}</td>"
        f'<td class="num">{"" if row.fault_code is None else row.fault_code}</td>'
        f'<td class="msg">{_e(row.message)}</td></tr>'
        for row in rows
    )
    left_out = (
        f'<p class="meta">{page.rows_not_listed:,} more rows did not succeed; the CSV report '
        "lists every row.</p>"
        if page.rows_not_listed
        else ""
    )
    return (
        '<section id="rows-section"><h2>Rows that did not succeed</h2>'
        '<div class="filters"><input type="search" id="row-filter" '
        'placeholder="Filter: row, employee number, operation, code or message" '
        'aria-label="filter the rows">'
        '<select id="status-filter" aria-label="status"><option value="">all statuses</option>'
        f'{options}</select><span class="muted"><span id="rows-shown">{len(rows)}</span> of '
        f"{len(rows)} rows shown</span></div>"
        '<table id="rows"><thead><tr><th class="num">row</th><th>status</th>'
        '<th>employee number</th><th>operation</th><th class="num">fault</th><th>message</th>'
        f"</tr></thead><tbody>{lines}</tbody></table>{left_out}</section>"
    )
