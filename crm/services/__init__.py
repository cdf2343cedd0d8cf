"""Writes to CRMs and their data. Views, forms and tasks call these functions; no
business rule lives anywhere else."""

from crm.services.audit import audit_record
from crm.services.connection import (
    ConnectRefused,
    IssuedCode,
    connection_code_issue,
    connection_code_preview,
    crm_user_connect_account,
)
from crm.services.crms import (
    RESERVED_SLUGS,
    crm_create,
    crm_direct_link,
    crm_name_clean,
    crm_provision,
    crm_slug_generate,
    crm_user_authenticate,
    crm_user_record_login,
    crm_user_set_active,
    crm_user_set_password,
)
from crm.services.sso import (
    SsoRefused,
    sso_token_issue,
    sso_token_redeem,
    sso_tokens_delete_stale,
)
from crm.services.users import (
    Handover,
    crm_group_create,
    crm_group_delete,
    crm_group_rename,
    crm_seat_limit_set,
    crm_seats_used,
    crm_user_create,
    crm_user_deactivate,
    crm_user_delete,
    crm_user_reactivate,
    crm_user_records_count,
    crm_user_update,
)

__all__ = [
    "RESERVED_SLUGS",
    "ConnectRefused",
    "Handover",
    "IssuedCode",
    "SsoRefused",
    "audit_record",
    "connection_code_issue",
    "connection_code_preview",
    "crm_create",
    "crm_direct_link",
    "crm_group_create",
    "crm_group_delete",
    "crm_group_rename",
    "crm_name_clean",
    "crm_provision",
    "crm_seat_limit_set",
    "crm_seats_used",
    "crm_slug_generate",
    "crm_user_authenticate",
    "crm_user_connect_account",
    "crm_user_create",
    "crm_user_deactivate",
    "crm_user_delete",
    "crm_user_reactivate",
    "crm_user_record_login",
    "crm_user_records_count",
    "crm_user_set_active",
    "crm_user_set_password",
    "crm_user_update",
    "sso_token_issue",
    "sso_token_redeem",
    "sso_tokens_delete_stale",
]
