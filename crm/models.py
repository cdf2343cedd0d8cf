"""The tenant (a CRM) and everything that belongs to one.

Every model holding a CRM's data inherits ``CrmScopedModel``: a non-null, indexed
``crm`` foreign key and a manager whose ``for_crm()`` is the only sanctioned way to
look rows up. ``tests/crm/test_tenancy_meta.py`` fails if a model forgets it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

CRM_NAME_MAX_LENGTH = 100


class Crm(models.Model):
    class Status(models.TextChoices):
        PROVISIONING = "provisioning", _("Being created")
        ACTIVE = "active", _("Active")
        PENDING_DELETION = "pending_deletion", _("Scheduled for deletion")
        PURGING = "purging", _("Being deleted")

    name = models.CharField(_("name"), max_length=CRM_NAME_MAX_LENGTH)
    slug = models.SlugField(_("address"), max_length=63, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_crms",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROVISIONING
    )
    deletion_due_at = models.DateTimeField(_("deletion due at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("CRM")
        verbose_name_plural = _("CRMs")
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="crm_name_not_empty"),
            models.CheckConstraint(
                condition=Q(status="pending_deletion", deletion_due_at__isnull=False)
                | ~Q(status="pending_deletion"),
                name="crm_pending_deletion_has_due_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class CrmScopedQuerySet(models.QuerySet):
    def for_crm(self, crm: Crm | int) -> CrmScopedQuerySet:
        return self.filter(crm=crm)


class CrmScopedModel(models.Model):
    """Base of every model that holds one CRM's data."""

    crm = models.ForeignKey(
        Crm, on_delete=models.CASCADE, related_name="+", verbose_name=_("CRM")
    )

    objects = CrmScopedQuerySet.as_manager()

    class Meta:
        abstract = True


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
        """Changes whenever the password or the active state does, which ends every
        CRM session of this user that was opened before the change."""
        return salted_hmac(
            "crm.CrmUser.session_auth_hash",
            f"{self.password}:{self.is_active}",
            algorithm="sha256",
        ).hexdigest()

    @property
    def is_admin(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.ADMIN)


class AuditEvent(CrmScopedModel):
    """Who did what in which CRM. Actors are kept by name too, so the trail still
    reads right after the actor is deleted."""

    class Action(models.TextChoices):
        CRM_CREATED = "crm.created", _("CRM created")
        CRM_ACTIVATED = "crm.activated", _("CRM ready")
        CRM_ENTERED = "crm.entered", _("Entered from the portal")
        CRM_CONNECTED = "crm.connected", _("Connected to an account")
        CRM_USER_LOGGED_IN = "crm_user.logged_in", _("Signed in")
        CRM_USER_CREATED = "crm_user.created", _("User added")
        CONNECTION_CODE_CREATED = "connection_code.created", _("Connection code made")

    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    actor_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_crm_user = models.ForeignKey(
        CrmUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("actor"), max_length=254, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["crm", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} by {self.actor_name}"


class SsoToken(CrmScopedModel):
    """A one-time hand-off from the portal into a CRM (Enter).

    Only a keyed hash of the token is stored; the token itself lives for seconds in
    one redirect. ``used_at`` is set by a compare-and-set, so it redeems once."""

    crm_user = models.ForeignKey(CrmUser, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["crm", "expires_at"])]

    def __str__(self) -> str:
        return f"Enter token for user {self.crm_user_id} (expires {self.expires_at})"


class ConnectionCode(CrmScopedModel):
    """A short code a CRM user copies from *My profile* to link their CRM user to a
    portal Account. Single use, short-lived, stored as a keyed hash."""

    crm_user = models.ForeignKey(CrmUser, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["crm", "crm_user"])]

    def __str__(self) -> str:
        return f"Connection code of user {self.crm_user_id} (expires {self.expires_at})"
