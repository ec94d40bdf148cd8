"""Write the snapshot the frozen program's ``--smoke`` opens: ``python installer/smoke_snapshot.py OUT.tdsnap``.

Made with the console's own snapshot code (what ``taskdeck-report --format snapshot``
writes), so it is a file the console must open: an environment with a Chinese name, at
this moment, holding no services' answers (each page then says what the snapshot lacks).
Run from the repository's root, so ``console`` is the checkout's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from console.snapshot.file import Snapshot, write_snapshot  # noqa: E402 - after the path

ENVIRONMENT = "冒烟测试 smoke"


def smoke_snapshot(path: Path) -> Path:
    snapshot = Snapshot(
        environment=ENVIRONMENT,
        taken_at=time.time(),
        window_s=3600.0,
        written_by="installer/smoke_snapshot.py",
        missing=["everything: a snapshot for the installation check"],
    )
    return write_snapshot(snapshot, path)


if __name__ == "__main__":
    print(smoke_snapshot(Path(sys.argv[1])))
