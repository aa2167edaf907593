"""`python -m tinyml_build` is the same as the `tinyml-build` command."""

import sys

from tinyml_build.cli import main

sys.exit(main())
