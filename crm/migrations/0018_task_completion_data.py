# A migration of its own: PostgreSQL alters no table in the transaction that
# updated its rows, and 0017 and 0019 alter crm_task.

from django.db import migrations
from django.db.models import F


def tasks_forward(apps, schema_editor):
    """A done task was completed when it last changed; a task with no due time
    was due when it was made (a due time is now required)."""
    Task = apps.get_model("crm", "Task")
    Task.objects.filter(is_done=True).update(completed_at=F("updated_at"))
    Task.objects.filter(due_at__isnull=True).update(due_at=F("created_at"))


def tasks_backward(apps, schema_editor):
    Task = apps.get_model("crm", "Task")
    Task.objects.filter(completed_at__isnull=False).update(is_done=True)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0017_tasks_and_record_changes"),
    ]

    operations = [
        migrations.RunPython(tasks_forward, tasks_backward),
    ]
