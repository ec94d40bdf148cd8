"""The development stack: the sandbox, process management and the traffic generator.

Used by ``make demo``, the tests and the benchmarks; nothing on the console's
or the backend's start path imports it.
"""
