from crm.models.audit import AuditEvent
from crm.models.handoff import ConnectionCode, CrmUserInvitation, SsoToken
from crm.models.pipelines import Pipeline, PipelineStatus
from crm.models.records import Company, Contact, CrmRecord, Deal, Task
from crm.models.tenancy import (
    CRM_NAME_MAX_LENGTH,
    Crm,
    CrmScopedModel,
    CrmScopedQuerySet,
)
from crm.models.users import CrmGroup, CrmUser

__all__ = [
    "CRM_NAME_MAX_LENGTH",
    "AuditEvent",
    "Company",
    "ConnectionCode",
    "Contact",
    "Crm",
    "CrmGroup",
    "CrmRecord",
    "CrmScopedModel",
    "CrmScopedQuerySet",
    "CrmUser",
    "CrmUserInvitation",
    "Deal",
    "Pipeline",
    "PipelineStatus",
    "SsoToken",
    "Task",
]
