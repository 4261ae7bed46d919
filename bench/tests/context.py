"""Puts bench/ on sys.path so the tests import strata_bench when run as
`/usr/bin/python3 -m unittest discover -s bench/tests` from the repository root."""
import os
import sys

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)


def data(name):
    with open(os.path.join(DATA, name), newline="") as f:
        return f.read()
