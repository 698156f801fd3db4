"""Building the numbers: run the models of sql/ in their order (full or incremental), audit them, and
publish a read-only snapshot the dashboard, briefs and command line read."""
