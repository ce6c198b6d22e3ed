"""The benchmark tests: ``pytest bench/`` in this repository (``bench`` links here), and
in any project after ``edgebench init`` copies them there (or ``pytest --pyargs
edgebench.bench`` runs them from the installed package). Their fixtures come with the
pytest plugin, so they need no conftest."""
