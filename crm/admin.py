from django.contrib import admin

from crm.models import AuditEvent, Crm, CrmUser


@admin.register(Crm)
class CrmAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "owner", "status", "created_at", "deletion_due_at")
    list_filter = ("status",)
    search_fields = ("name", "slug", "owner__email")
    raw_id_fields = ("owner",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(CrmUser)
class CrmUserAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "crm", "role", "is_active", "account")
    list_filter = ("role", "is_active")
    search_fields = ("name", "email", "crm__slug")
    raw_id_fields = ("crm", "account")
    exclude = ("password",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "crm", "action", "actor_name")
    list_filter = ("action",)
    raw_id_fields = ("crm", "actor_account", "actor_crm_user")

    def has_change_permission(self, request, obj=None) -> bool:
        return False
