"""TaskDeck backend: the headless service through which every change is made."""

from taskdeck_core.version import version

__version__ = version()
