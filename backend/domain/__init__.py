"""Pure domain logic of the backend: no I/O, no framework imports."""
