"""What the console, the backend and the worker plug-in share.

Qt-free and FastAPI-free: priority mapping, the transport's queue and
priority-list naming, URL redaction, the lifecycle record format, the Celery
event receiver, worker liveness, loopback helpers and where the local sandbox
keeps its state. It imports neither ``console`` nor ``backend``.
"""
