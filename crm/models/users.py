"""People inside one CRM."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from crm.models.tenancy import CrmScopedModel


class CrmGroup(CrmScopedModel):
    """A team inside a CRM; every user belongs to at most one."""

    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [
            models.UniqueConstraint("crm", Lower("name"), name="crm_group_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class CrmUser(CrmScopedModel):
    """A person inside one CRM, with credentials valid for that CRM only."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Administrator")
        USER = "user", _("User")

    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email"), max_length=254)
    password = models.CharField(_("password"), max_length=128)
    role = models.CharField(
        _("role"), max_length=10, choices=Role.choices, default=Role.USER
    )
    is_active = models.BooleanField(_("active"), default=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="crm_users",
        verbose_name=_("linked account"),
    )
    group = models.ForeignKey(
        CrmGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("group"),
    )
    rights = models.JSONField(
        _("rights"),
        default=dict,
        blank=True,
        help_text=_("Per entity and action, the scope: none, own, group or all."),
    )
    # This CRM's pages and this user's emails speak it, whatever the linked
    # Account chose for the portal; empty until known (the browser's applies).
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
    )
    # An authenticator app's shared secret (base32); empty while the user has no
    # second factor of their own. A linked user's second factor is their Account's.
    totp_secret = models.CharField(
        _("authenticator app secret"), max_length=64, blank=True, default=""
    )
    last_login = models.DateTimeField(_("last login"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("CRM user")
        verbose_name_plural = _("CRM users")
        constraints = [
            models.UniqueConstraint(
                "crm", Lower("email"), name="crm_user_email_unique_in_crm"
            ),
            models.UniqueConstraint(
                fields=["crm", "account"],
                condition=Q(account__isnull=False),
                name="crm_user_one_per_account_in_crm",
            ),
            models.UniqueConstraint(
                fields=["crm"],
                condition=Q(role="owner"),
                name="crm_user_one_owner_per_crm",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def set_password(self, raw_password: str | None) -> None:
        self.password = make_password(raw_password)

    def check_password(self, raw_password: str) -> bool:
        def upgrade_hash(raw: str) -> None:
            self.set_password(raw)
            type(self).objects.filter(pk=self.pk).update(password=self.password)

        return check_password(raw_password, self.password, upgrade_hash)

    def session_auth_hash(self) -> str:
        """Changes whenever the password, the active state or the second factor
        does, which ends every CRM session of this user opened before the change.
        With no second factor the secret is left out of it altogether, so adding
        the field changed no one's value."""
        state = f"{self.password}:{self.is_active}"
        if self.totp_secret:
            state += f":{self.totp_secret}"
        return salted_hmac(
            "crm.CrmUser.session_auth_hash", state, algorithm="sha256"
        ).hexdigest()

    @property
    def email_language(self) -> str:
        """The language of the emails this CRM user receives."""
        return self.language or settings.LANGUAGE_CODE

    @property
    def is_admin(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.ADMIN)
