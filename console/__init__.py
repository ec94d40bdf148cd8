"""TaskDeck console: the desktop application."""
