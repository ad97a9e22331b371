"""Celery glue: the app, the training task and the worker heartbeat.

Nothing here imports TensorFlow at module level: the prefork pool forks training
processes from the worker's main process, and TensorFlow is not fork-safe once
initialized, so it is imported inside the task, in the child.
"""
