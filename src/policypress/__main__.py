"""``python -m policypress``: the same as the ``policypress`` command."""

from policypress.entry import run

run()
