"""TaskDeck backend: the headless service through which every change is made."""

__version__ = "0.1.0"
