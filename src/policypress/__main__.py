"""``python -m policypress``: the same as the ``policypress`` command."""

import sys

from policypress.cli import main

sys.exit(main())
