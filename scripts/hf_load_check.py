#!/usr/bin/env python3
"""Loads each folder given with Hugging Face datasets.load_dataset(DIR), exactly as a trainer would.

Usage: hf_load_check.py DIR [DIR ...]
Prints one JSON line per folder: {"dir", "splits": {name: rows}, "columns": {name: [...]}} or
{"dir", "error"}; exits 1 when any folder fails to load. Runs offline (HF_DATASETS_OFFLINE=1, a fresh
cache under the system temp folder) so nothing is fetched and no earlier cache hides a problem.
"""
import json
import os
import sys
import tempfile

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import datasets  # noqa: E402

datasets.disable_progress_bars()
datasets.logging.set_verbosity_error()


def check(d, cache):
    try:
        ds = datasets.load_dataset(d, cache_dir=cache)
        return {"dir": d, "splits": {k: v.num_rows for k, v in ds.items()},
                "columns": {k: v.column_names for k, v in ds.items()}}
    except Exception as e:  # report every folder, not only the first failure
        return {"dir": d, "error": f"{type(e).__name__}: {e}"}


def main(dirs):
    failed = 0
    with tempfile.TemporaryDirectory(prefix="granular-hf-") as cache:
        for d in dirs:
            r = check(d, cache)
            failed += "error" in r
            print(json.dumps(r), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
