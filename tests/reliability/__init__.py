"""Real faults injected into running servers, and hostile input, with what must still hold."""
