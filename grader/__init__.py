"""grade.py's parts: the checks, the catalog of mistakes, the sandbox, the report and the Gradescope bundle."""
