"""`python -m bulkimport` runs the command line."""

from bulkimport.cli import main

raise SystemExit(main())
