"""`bulkimport template NAME --output FILE.xlsx|.csv`: a blank file to fill in for a template."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from bulkimport.errors import FatalError
from bulkimport.workbook import LANGUAGES, build_csv_header, build_workbook


def add(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    parser.add_argument("name", help="template name or .toml path")
    parser.add_argument(
        "--output", type=Path, required=True, help="the file to write: .xlsx or .csv"
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default="nl",
        help="language of the column headers (default nl; sv for Swedish companies)",
    )
    return _write


def _write(args: argparse.Namespace) -> int:
    from bulkimport.job import resolve_template

    output: Path = args.output
    suffix = output.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise FatalError(f"{output}: give a file name ending in .xlsx or .csv")
    template = resolve_template(args.name)
    if suffix == ".csv":
        # newline="" keeps the header's \r\n as it is (Excel's own CSV line end).
        with output.open("w", encoding="utf-8", newline="") as file:
            file.write(build_csv_header(template, args.lang))
    else:
        build_workbook(template, args.lang).save(output)
    print(f"wrote {output} ({template.name}, {len(template.columns)} columns, {args.lang})")
    if suffix == ".xlsx":
        print("fill in the first sheet; the other sheets show an example and explain each column")
    sys.stdout.flush()
    return 0
