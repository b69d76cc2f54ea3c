"""Secrets and personal data never reach a log line: by key name, by value pattern, nested."""

from __future__ import annotations

import csv
import io
import json
import logging
import random
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars, merge_contextvars
from structlog.testing import capture_logs

from bulkimport.cli import main
from bulkimport.config import Credentials
from bulkimport.logs import REDACTED, configure_logging, redact_sensitive, register_secret

log = structlog.get_logger()


def logged(event: str, **values: Any) -> dict[str, Any]:
    with capture_logs(processors=[merge_contextvars, redact_sensitive]) as entries:
        log.info(event, **values)
    assert len(entries) == 1
    return dict(entries[0])


def flat(entry: Any) -> str:
    return repr(entry)


# --- generators of valid personal data ------------------------------------------------------
def make_bsn(rng: random.Random) -> str:
    while True:
        digits = [rng.randrange(10) for _ in range(8)]
        check = sum((9 - i) * d for i, d in enumerate(digits)) % 11
        if check < 10 and any(digits):
            return "".join(map(str, digits)) + str(check)


def make_iban(rng: random.Random, country: str, bban_length: int) -> str:
    bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + "".join(
        str(rng.randrange(10)) for _ in range(bban_length - 4)
    )
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def luhn_digit(digits: str) -> str:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (1 if i % 2 else 2)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def make_personnummer(rng: random.Random) -> tuple[str, str]:
    """(YYYYMMDD, NNNN) with a valid Luhn check digit."""
    year = rng.randrange(1930, 2010)
    birth = f"{year}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    serial = f"{rng.randrange(1000):03d}"
    return birth, serial + luhn_digit(birth[2:] + serial)


# --- by key name ----------------------------------------------------------------------------
def test_sensitive_keys_are_masked_at_any_depth_and_others_kept() -> None:
    entry = logged(
        "row done",
        row=12,
        status="ok",
        token="0123456789abcdef",
        Password="hunter22",
        bsn="123456782",
        IBAN="NL91ABNA0417164300",
        birth_date=date(1985, 3, 12),
        Geboortedatum="12-03-1985",
        personnummer="19850312-1234",
        request={
            "AuthHeaderWithDomain": {"Username": "api@example.nl", "Token": "abc123def"},
            "PersonalInfo": {"FirstName": "Jan", "BSN": "123456782", "Birthday": "1985-03-12"},
            "accounts": [{"IBAN": "NL91ABNA0417164300", "Type": "Bankrekening1"}],
        },
    )
    for key in ("token", "Password", "bsn", "IBAN", "birth_date", "Geboortedatum", "personnummer"):
        assert entry[key] == REDACTED, key
    assert entry["request"]["AuthHeaderWithDomain"] == {
        "Username": "api@example.nl",
        "Token": REDACTED,
    }
    assert entry["request"]["PersonalInfo"] == {
        "FirstName": "Jan",
        "BSN": REDACTED,
        "Birthday": REDACTED,
    }
    assert entry["request"]["accounts"] == [{"IBAN": REDACTED, "Type": "Bankrekening1"}]
    assert (entry["row"], entry["status"], entry["event"]) == (12, "ok", "row done")


def test_keys_bound_through_contextvars_are_masked_too() -> None:
    bind_contextvars(row=7, bsn="123456782", api_token="s3cr3t-value")
    try:
        entry = logged("sending")
    finally:
        clear_contextvars()
    assert entry["row"] == 7
    assert entry["bsn"] == REDACTED and entry["api_token"] == REDACTED


def test_empty_sensitive_values_stay_visible() -> None:
    """'no token given' is useful to see and reveals nothing."""
    entry = logged("config", token="", password=None)
    assert entry["token"] == "" and entry["password"] is None


def test_a_value_that_belongs_to_a_sensitive_column_is_masked() -> None:
    entry = logged(
        "invalid",
        problems=[{"column": "BSN", "value": "123456789", "reason": "fails the 11-check"}],
    )
    assert entry["problems"] == [
        {"column": "BSN", "value": REDACTED, "reason": "fails the 11-check"}
    ]


# --- by value pattern -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("BSN 123456782 rejected", "123456782"),
        ("bsn 1234.56.782", "1234.56.782"),
        ("burger 123 456 782.", "123 456 782"),
        ("lost a zero: 12345672", "12345672"),
        ("IBAN NL91ABNA0417164300 invalid", "NL91ABNA0417164300"),
        ("iban nl91abna0417164300", "nl91abna0417164300"),
        ("NL91 ABNA 0417 1643 00 was given", "NL91 ABNA 0417 1643 00"),
        ("de89 3704 0044 0532 0130 00", "3704 0044 0532"),
        ("GB29NWBK60161331926819;", "GB29NWBK60161331926819"),
        ("SE4550000000058398257466", "SE4550000000058398257466"),
        ("pnr 19850312-2384", "19850312-2384"),
        ("pnr 850312-2384", "850312-2384"),
        ("centenarian 230312+2384", "230312+2384"),
        ("row 4, column 'Geboortedatum', value '12-03-1985': not a date", "12-03-1985"),
        ("birth date 1985-03-12 is in the future", "1985-03-12"),
        ("column 'Birthday', value '31/12/1985'", "31/12/1985"),
    ],
)
def test_personal_data_is_masked_inside_any_text(text: str, hidden: str) -> None:
    entry = logged(text, detail=f"while sending: {text}")
    assert hidden not in entry["event"]
    assert hidden not in entry["detail"]


@pytest.mark.parametrize(
    "text",
    [
        "row 12 done in 0.31 s",
        "employee 1057235 created",
        "order 123456789 shipped",  # fails the 11-check
        "start date 2026-11-01",
        "company 54613, period 2026-11-M",
        "Employee_Insert failed: 2004: Unauthorized company",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert logged(text)["event"] == text


def test_integers_that_are_bsns_are_masked() -> None:
    entry = logged("cell", number=123456782, employee_id=1057235, count=3)
    assert entry["number"] == "[BSN]"
    assert (entry["employee_id"], entry["count"]) == (1057235, 3)


def test_a_registered_secret_is_masked_wherever_it_appears() -> None:
    register_secret("tok-9f8e7d6c5b4a")
    entry = logged(
        "auth header was Token=tok-9f8e7d6c5b4a",
        url="https://x.example/?t=tok-9f8e7d6c5b4a",
        nested=["a", ("tok-9f8e7d6c5b4a",)],
    )
    assert "tok-9f8e7d6c5b4a" not in flat(entry)
    assert entry["nested"] == ["a", ("[SECRET]",)]


def test_very_short_secrets_are_not_registered() -> None:
    register_secret("ab")
    assert logged("a cab and a crab")["event"] == "a cab and a crab"


@dataclass(frozen=True)
class Carrier:
    values: dict[str, str]


def test_objects_rendered_by_repr_are_scrubbed() -> None:
    entry = logged(
        "call",
        call=Carrier({"BSN": "123456782", "FirstName": "Jan"}),
        credentials=Credentials("api@example.nl", "abcdef123456"),
    )
    assert "123456782" not in flat(entry)
    assert isinstance(entry["credentials"], Credentials)  # its repr already hides the token


def test_many_formats_of_personal_data_never_survive() -> None:
    """A fuzz-ish sweep: valid identifiers in many spellings, in varied surroundings."""
    rng = random.Random(20261124)
    templates = [
        "{}",
        "value {} refused",
        "cell='{}'",
        "[{}]",
        "x;{};y",
        "(IBAN/BSN:{})",
        "{}.",
        '"{}"',
    ]
    cases: list[tuple[str, str]] = []
    for _ in range(150):
        bsn = make_bsn(rng)
        cases.append((bsn, bsn))
        cases.append((f"{bsn[:4]}.{bsn[4:6]}.{bsn[6:]}", bsn))
        cases.append((f"{bsn[:3]} {bsn[3:6]} {bsn[6:]}", bsn))
        if bsn.startswith("0"):
            cases.append((bsn[1:], bsn[1:]))
        country, length = rng.choice([("NL", 14), ("DE", 18), ("BE", 12), ("GB", 18), ("SE", 20)])
        iban = make_iban(rng, country, length)
        spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        for form in (iban, iban.lower(), spaced, spaced.lower()):
            cases.append((form, iban[4:12].lower()))
        birth, serial = make_personnummer(rng)
        for form in (f"{birth}-{serial}", f"{birth[2:]}-{serial}", f"{birth[2:]}+{serial}"):
            cases.append((form, serial))
        cases.append((f"{birth}{serial}", birth + serial))
        cases.append((f"{birth[2:]}{serial}", birth[2:] + serial))
    leaks = []
    for value, needle in cases:
        text = rng.choice(templates).format(value)
        entry = logged(text, nested={"list": [text]})
        shown = flat(entry).lower()
        if needle.lower() in shown or value.lower() in shown:
            leaks.append(text)
    assert leaks == []


# --- configure_logging ----------------------------------------------------------------------
@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_configured_json_logs_are_redacted_and_filtered_by_level() -> None:
    stream = io.StringIO()
    configure_logging(level="info", json=True, stream=stream)
    logger = structlog.get_logger()
    logger.debug("not shown")
    logger.info("row done", row=3, bsn="123456782", detail="IBAN NL91ABNA0417164300")
    try:
        raise ValueError("bad IBAN NL91ABNA0417164300 for BSN 123456782")
    except ValueError:
        logger.exception("failed", row=4)
    logging.getLogger("aiohttp.client").warning("retrying for %s", "NL91ABNA0417164300")
    output = stream.getvalue()
    assert "not shown" not in output
    assert "NL91ABNA0417164300" not in output and "123456782" not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert lines[0]["event"] == "row done" and lines[0]["level"] == "info"
    assert lines[0]["bsn"] == REDACTED and lines[0]["detail"] == "IBAN [IBAN]"
    assert "ValueError" in lines[1]["exception"] and "[IBAN]" in lines[1]["exception"]
    assert lines[2]["event"] == "retrying for [IBAN]"


@pytest.mark.usefixtures("restore_logging")
def test_configured_console_logs_are_redacted() -> None:
    stream = io.StringIO()
    configure_logging(level="warning", stream=stream)
    configure_logging(level="warning", stream=stream)  # twice: still one handler, one line
    structlog.get_logger().info("hidden")
    structlog.get_logger().warning("slow", token="abc-secret-token")
    logging.getLogger("asyncio").error("personnummer 850312-2384 in a message")
    output = stream.getvalue()
    assert "hidden" not in output and "abc-secret-token" not in output
    assert "850312-2384" not in output
    assert output.count("slow") == 1 and output.count("[PERSONNUMMER]") == 1


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="level"):
        configure_logging(level="chatty")


# --- formats, the log file and the command-line options ---------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.usefixtures("restore_logging")
def test_auto_format_is_json_off_a_terminal_and_readable_on_one() -> None:
    piped, terminal = io.StringIO(), _Terminal()
    configure_logging(level="info", json=None, stream=piped)
    structlog.get_logger().info("row", row=2, bsn="123456782")
    configure_logging(level="info", json=None, stream=terminal)
    structlog.get_logger().info("row", row=3, bsn="123456782")
    line = json.loads(piped.getvalue())
    assert (line["event"], line["row"], line["bsn"]) == ("row", 2, REDACTED)
    coloured = terminal.getvalue()
    assert "\x1b[" in coloured  # a terminal gets colours; a pipe gets no control characters
    shown = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert not shown.startswith("{") and "row=3" in shown and "bsn=[REDACTED]" in shown
    assert "\x1b[" not in piped.getvalue()


@pytest.mark.usefixtures("restore_logging")
def test_the_log_file_gets_json_lines_at_info_beside_a_quieter_console(tmp_path: Path) -> None:
    console, log_file = io.StringIO(), tmp_path / "run.log"
    configure_logging(level="warning", json=False, stream=console, log_file=log_file)
    logger = structlog.get_logger()
    logger.info("row", row=2, iban="NL91ABNA0417164300", message="BSN 123456782 refused")
    logger.warning("slow", detail="birth date 1985-03-12")
    logging.getLogger("aiohttp.client").info("retrying NL91ABNA0417164300")
    configure_logging(level="warning", stream=console)  # closes the file
    lines = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]
    assert [line["event"] for line in lines] == ["row", "slow", "retrying [IBAN]"]
    assert lines[0]["iban"] == REDACTED and lines[0]["message"] == "BSN [BSN] refused"
    assert lines[1]["detail"] == "birth date [DATE]"
    shown = console.getvalue()
    assert "slow" in shown and "row" not in shown.replace("rows", "")


SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _sample_personal_data(path: Path) -> set[str]:
    """Every BSN, IBAN (as written and compact) and birth date of the sample file."""
    values: set[str] = set()
    with path.open(encoding="utf-8-sig", newline="") as stream:
        for row in csv.DictReader(stream, delimiter=";"):
            for column in ("BSN", "IBAN", "Geboortedatum"):
                if row[column]:
                    values |= {row[column], re.sub(r"\s", "", row[column])}
    return values


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("NMBRS_USERNAME", "NMBRS_TOKEN", "NMBRS_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return Path(shutil.copy(SAMPLES / "new_hires.csv", tmp_path / "new_hires.csv"))


def test_a_verbose_json_run_and_its_log_file_hold_no_personal_data(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "logs" / "run.jsonl"
    log_file.parent.mkdir()
    arguments = ["run", str(sample), "--template", "new_hire", "--company", "54613", "-v"]
    exit_code = main([*arguments, "--log-format", "json", "--log-file", str(log_file)])
    assert exit_code == 1  # the sample has rows with mistakes
    console = capsys.readouterr().err
    written = log_file.read_text(encoding="utf-8")
    for text in (console, written):
        rows = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        assert sum(line["event"] == "row" for line in rows) == 25
    personal = _sample_personal_data(sample)
    assert len(personal) > 50
    assert sorted(value for value in personal if value in console or value in written) == []


def test_quiet_leaves_out_the_start_lines_and_keeps_the_file(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["run", str(sample), "--template", "new_hire", "--company", "54613", "--dry-run"]
    main(arguments)
    assert "target:" in capsys.readouterr().err
    log_file = tmp_path / "quiet.jsonl"
    main([*arguments, "-q", "--log-file", str(log_file)])
    assert "target:" not in capsys.readouterr().err
    assert '"event": "row"' in log_file.read_text(encoding="utf-8")


def test_verbose_and_quiet_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "x.csv", "--template", "new_hire", "--company", "1", "-v", "-q"])
    assert "not allowed with argument" in capsys.readouterr().err
