"""Developer tools run from a checkout (``python -m tools.<name>`` at the project root).

Not part of the installed package: pyproject's package list includes only ``sync*`` and
``scoring*``, and a test checks that nothing here is shipped.
"""
