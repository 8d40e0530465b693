"""The scheduler process (`python -m scheduler`): the only place that sends from the outbox and runs timed jobs.

It runs as its own process (the Procfile's `scheduler:` line), never inside a gunicorn worker,
so each job runs once however many web workers there are.
"""
