"""Execute a notebook with Debian's nbclient, as a front end would, and write it back.

Usage: run_notebook.py NOTEBOOK KERNEL_NAME
Cells may set metadata "reglab_timeout" (seconds): on that timeout the kernel is interrupted
and the run goes on. Errors in cells are allowed; a dead kernel is reported with exit status 3.
"""
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError


def main():
    path, kernel = sys.argv[1], sys.argv[2]
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=kernel,
        allow_errors=True,
        interrupt_on_timeout=True,
        timeout_func=lambda cell: cell.metadata.get("reglab_timeout", 120),
        startup_timeout=60,
    )
    status = 0
    try:
        client.execute()
    except DeadKernelError as e:
        print(f"DeadKernelError: {e}", file=sys.stderr)
        status = 3
    nbformat.write(nb, path)
    sys.exit(status)


if __name__ == "__main__":
    main()
