"""Executes every notebook here from a clean kernel, as CI does, so they cannot rot.

    python3 notebooks/run_all.py            # uses LIFECIRCLE_BIN, else `cargo run --release --`

Executed copies go to target/notebooks/ (never committed); any failing cell fails the run
with the cell's error.
"""
import pathlib
import sys

import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE.parent / "target" / "notebooks"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    notebooks = sorted(HERE.glob("*.ipynb"))
    if not notebooks:
        print("no notebooks found", file=sys.stderr)
        return 1
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}
        )
        client.execute()
        nbformat.write(nb, OUT / path.name)
        print(f"{path.name}: {len(nb.cells)} cells executed, copy in {OUT / path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
