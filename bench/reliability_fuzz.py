"""Schemathesis over every service's OpenAPI with many more examples than `make test` runs
(issue: reliability, item 5): the same test (tests/reliability/test_fuzz_openapi.py), with
FUZZ_EXAMPLES examples per operation, against the services as real processes on 127.0.0.1.

Run: .venv/bin/python bench/reliability_fuzz.py [--examples 100]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=100)
    args = parser.parse_args()
    test = "tests/reliability/test_fuzz_openapi.py"
    env = {**os.environ, "FUZZ_EXAMPLES": str(args.examples)}
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", test], cwd=ROOT, env=env))
