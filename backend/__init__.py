"""TaskDeck backend: the headless service through which every change is made."""

from importlib.metadata import version

# pyproject.toml's version, the one place it is written (the installer reads it there too).
__version__ = version("taskdeck")
