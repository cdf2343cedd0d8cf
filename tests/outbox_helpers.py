"""Tests that want a job handed to the broker but not run (a worker's turn later)."""

from __future__ import annotations

from outbox import services
from outbox.models import OutboxMessage
from outbox.tasks import deliver


def hold_tasks(monkeypatch, *task_names: str, broker_down: bool = False) -> list:
    """Deliveries of these tasks (``"crm.tasks.purge_crm"``) are recorded as
    ``(task name, args)`` and not run; with ``broker_down`` they are refused as a
    broker that is away would refuse them. Other tasks run as usual."""
    from kombu.exceptions import OperationalError

    held: list[tuple[str, list]] = []
    original = deliver.apply_async
    # A refusal here starts the process's back-off (outbox.services); it ends with
    # the test, or the tests after it would find the broker "down" too.
    monkeypatch.setattr(services, "_broker_down_until", [0.0])

    def apply_async(args=None, kwargs=None, **options):
        message = OutboxMessage.objects.filter(pk=args[0]).values("task", "args")
        message = message.first()
        if message is None or message["task"] not in task_names:
            return original(args, kwargs, **options)
        held.append((message["task"], message["args"]))
        if broker_down:
            raise OperationalError("connection refused")
        return None

    monkeypatch.setattr(deliver, "apply_async", apply_async)
    return held
