from __future__ import annotations

from typing import Any

from crm.models import AuditEvent, Crm, CrmUser


def audit_event_new(
    *,
    crm: Crm,
    action: str,
    actor_account: Any = None,
    actor_crm_user: CrmUser | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """An audit record, not saved yet: for a caller that stores it together with
    other rows (see ``audit_record`` for the usual case)."""
    if actor_crm_user is not None:
        actor_name = f"{actor_crm_user.name} <{actor_crm_user.email}>"
    elif actor_account is not None:
        actor_name = actor_account.email
    else:
        actor_name = "system"
    return AuditEvent(
        crm=crm,
        action=action,
        actor_account=actor_account,
        actor_crm_user=actor_crm_user,
        actor_name=actor_name,
        details=details or {},
    )


def audit_record(
    *,
    crm: Crm,
    action: str,
    actor_account: Any = None,
    actor_crm_user: CrmUser | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = audit_event_new(
        crm=crm,
        action=action,
        actor_account=actor_account,
        actor_crm_user=actor_crm_user,
        details=details,
    )
    event.save(force_insert=True)
    return event
