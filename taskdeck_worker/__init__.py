"""The plug-in a Celery system installs on its workers and producers.

``integration.install(app)`` writes every task's lifecycle to a Redis stream
and makes cancels durable; ``celery_app`` is the data-sync system's Celery
application and ``tasks`` its workload. Depends on Celery and the shared core
only, never on the backend service.
"""
