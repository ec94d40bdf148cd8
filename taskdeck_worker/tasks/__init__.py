"""The data-sync workload: the real tasks that the sandbox and the tests run."""
