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
    crm_user_create,
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

__all__ = [
    "RESERVED_SLUGS",
    "ConnectRefused",
    "IssuedCode",
    "SsoRefused",
    "audit_record",
    "connection_code_issue",
    "connection_code_preview",
    "crm_create",
    "crm_direct_link",
    "crm_name_clean",
    "crm_provision",
    "crm_slug_generate",
    "crm_user_authenticate",
    "crm_user_connect_account",
    "crm_user_create",
    "crm_user_record_login",
    "crm_user_set_active",
    "crm_user_set_password",
    "sso_token_issue",
    "sso_token_redeem",
    "sso_tokens_delete_stale",
]
