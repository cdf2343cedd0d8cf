from crm.models.apikeys import ApiKey
from crm.models.audit import AuditEvent
from crm.models.idempotency import IdempotencyKey
from crm.models.imports import RecordImport, RecordImportRow
from crm.models.jobs import BulkDeleteJob, CrmExport
from crm.models.layouts import ListLayout
from crm.models.pipelines import Pipeline, PipelineStatus
from crm.models.records import (
    Company,
    Contact,
    ContactCompany,
    CrmRecord,
    CustomField,
    Deal,
    DealContact,
    Note,
    RecordEmail,
    RecordPhone,
)
from crm.models.secrets import (
    ConnectionCode,
    CrmUserInvitation,
    PasswordResetToken,
    SsoToken,
)
from crm.models.tasks import RecordChange, Task, TaskType
from crm.models.tenancy import (
    CRM_NAME_MAX_LENGTH,
    Crm,
    CrmScopedModel,
    CrmScopedQuerySet,
    CrmTombstone,
)
from crm.models.users import CrmGroup, CrmUser

__all__ = [
    "CRM_NAME_MAX_LENGTH",
    "ApiKey",
    "AuditEvent",
    "BulkDeleteJob",
    "Company",
    "ConnectionCode",
    "Contact",
    "ContactCompany",
    "Crm",
    "CrmExport",
    "CrmGroup",
    "CrmRecord",
    "CrmScopedModel",
    "CrmScopedQuerySet",
    "CrmTombstone",
    "CrmUser",
    "CrmUserInvitation",
    "CustomField",
    "Deal",
    "DealContact",
    "IdempotencyKey",
    "ListLayout",
    "Note",
    "PasswordResetToken",
    "Pipeline",
    "PipelineStatus",
    "RecordChange",
    "RecordEmail",
    "RecordImport",
    "RecordImportRow",
    "RecordPhone",
    "SsoToken",
    "Task",
    "TaskType",
]
