"""Domain and service code of the console import no Qt, even at run time.

`make lint`'s import contracts check the import statements (docs/architecture.md,
"Import rules"); this test imports every module for real, in a fresh interpreter.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import console.domain
import console.services


def test_every_console_domain_and_service_module_imports_without_qt() -> None:
    modules = [
        f"{package.__name__}.{info.name}"
        for package in (console.domain, console.services)
        for info in pkgutil.iter_modules(package.__path__)
    ]
    assert "console.services.probes" in modules and "console.domain.profiles" in modules
    # In a fresh interpreter: pytest-qt has already imported Qt into this one.
    code = (
        f"import sys; import {', '.join(modules)}; "
        "print(sorted(m for m in sys.modules if m.startswith('PySide6')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
