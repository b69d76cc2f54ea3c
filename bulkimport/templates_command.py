"""`bulkimport templates [NAME | --file PATH]`: what each template expects in a file.

Templates load against the SOAP backend's operations; formatting is pure
(bulkimport.mapping.command); only the handler prints.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bulkimport.errors import TemplateError
from bulkimport.mapping.command import format_template
from bulkimport.mapping.template import (
    list_builtin_templates,
    load_builtin_template,
    load_template,
)
from bulkimport.nmbrs.soap.backend import SoapBackend


def add(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    parser.add_argument("name", nargs="?", help="show one shipped template in full")
    parser.add_argument("--file", metavar="PATH", help="show a template file of your own")

    def run(args: argparse.Namespace) -> int:
        operations = SoapBackend().template_operation
        try:
            if args.file:
                templates = [load_template(args.file, operations)]
            elif args.name:
                templates = [load_builtin_template(args.name, operations)]
            else:
                templates = list_builtin_templates(operations)
        except TemplateError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print("\n\n".join(format_template(t) for t in templates))
        return 0

    return run
