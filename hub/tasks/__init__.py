"""Background work on a distributed task engine (Celery).

Web processes and the scheduler only *enqueue* tasks (``hub.tasks.engine.enqueue``); ``hub
worker`` processes run them. The broker comes from ``HUB_TASK_BROKER_URL``: Redis or a managed
broker (RabbitMQ, Amazon SQS) in production, an SQLite file in the instance folder by default.

Every task is idempotent and acknowledged late: a worker killed mid-task leaves its message
unacknowledged, and the work is done again (from the state in the database) by another worker.
"""
