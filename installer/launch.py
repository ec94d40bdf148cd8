"""The frozen program's entry: the console's own (``taskdeck``, ``python -m console``).

With ``--smoke``, a failure before the check runs (a module or library missing from the
bundle) also ends in the one ``smoke: FAILED`` line; the log has the traceback.
"""

import sys

from console.__main__ import main

if __name__ == "__main__":
    try:
        code = main()
    except Exception as exc:
        if "--smoke" not in sys.argv:
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        print(f"smoke: FAILED: the console did not start: {type(exc).__name__}: {first}")
        code = 1
    sys.exit(code)
