"""``python -m policypress``: the same as the ``policypress`` command."""

from policypress.cli import run

run()
