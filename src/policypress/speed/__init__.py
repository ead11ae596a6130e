"""Only makes it faster: caches, second processes and runtime tricks.

The pipeline never imports it (``build.workspace`` wires it in); the same run without it
(``policypress --plain``) writes the same bytes, only slower.
"""
