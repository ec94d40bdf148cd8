"""TaskDeck backend: the headless service through which every change is made."""

from taskdeck_core import __version__

__all__ = ["__version__"]
