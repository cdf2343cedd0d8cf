from django.contrib import admin

from outbox.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """What waits for the broker or a worker, for someone looking into an outage."""

    list_display = (
        "id",
        "task",
        "created_at",
        "published_at",
        "publish_count",
        "started_at",
        "done_at",
    )
    list_filter = ("task",)
    # Arguments may hold links that sign someone in: not shown.
    fields = list_display
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
