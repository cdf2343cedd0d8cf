"""Managing the people of a CRM: seats, adding, rights, groups, and deactivation
that hands a user's work over to a colleague."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils.translation import gettext as _

from crm.models import AuditEvent, Company, Contact, Crm, CrmGroup, CrmUser, Deal, Task
from crm.rights import rights_clean
from crm.services.apikeys import api_key_revoke_created_by
from crm.services.audit import audit_record

ASSIGNABLE_ROLES = (CrmUser.Role.ADMIN, CrmUser.Role.USER)


def crm_seats_used(*, crm: Crm) -> int:
    return CrmUser.objects.for_crm(crm).filter(is_active=True).count()


def _crm_locked(crm: Crm) -> Crm:
    """The CRM row, locked: seat counts checked under it cannot be raced past."""
    return Crm.objects.select_for_update().get(pk=crm.pk)


def _seat_available_or_raise(crm: Crm) -> None:
    locked = _crm_locked(crm)
    if locked.seat_limit is None:
        return
    if crm_seats_used(crm=locked) >= locked.seat_limit:
        raise ValidationError(
            _(
                "All %(limit)d seats are taken. Deactivate a user who no longer "
                "needs access, or ask the owner to raise the number of seats."
            )
            % {"limit": locked.seat_limit},
            code="seats_full",
        )


def _group_of(crm: Crm, group_id: int | None) -> CrmGroup | None:
    if group_id is None:
        return None
    group = CrmGroup.objects.for_crm(crm).filter(pk=group_id).first()
    if group is None:
        raise Http404("No such group in this CRM.")
    return group


@transaction.atomic
def crm_user_create(
    *,
    crm: Crm,
    name: str,
    email: str,
    password: str | None,
    role: str = CrmUser.Role.USER,
    account: Any = None,
    group_id: int | None = None,
    rights: dict | None = None,
    created_by: CrmUser | None = None,
    validate: bool = False,
    language: str = "",
) -> CrmUser:
    """Add a user to ``crm``, taking a seat. ``password=None`` leaves it unusable
    (an invitation sets it). ``validate`` runs the password validators.
    ``language``: what the user's emails (the invitation first) speak until they
    choose for themselves."""
    email = email.strip().lower()
    if role not in ASSIGNABLE_ROLES and not (role == CrmUser.Role.OWNER and account):
        raise ValidationError({"role": _("Choose administrator or user.")})
    _seat_available_or_raise(crm)
    crm_user = CrmUser(
        crm=crm,
        name=" ".join(name.split()),
        email=email,
        role=role,
        account=account,
        group=_group_of(crm, group_id),
        rights=rights_clean(rights),
        language=language if language in dict(settings.LANGUAGES) else "",
    )
    if password is not None and validate:
        try:
            validate_password(password, user=crm_user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from error
    crm_user.set_password(password)
    if CrmUser.objects.for_crm(crm).filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": _("This CRM already has a user with this email.")},
            code="crm_user_email_taken",
        )
    crm_user.full_clean(exclude=["crm", "account", "password", "group"])
    try:
        with transaction.atomic():
            crm_user.save()
    except IntegrityError as error:
        raise ValidationError(
            {"email": _("This CRM already has a user with this email.")},
            code="crm_user_email_taken",
        ) from error
    audit_record(
        crm=crm,
        action=AuditEvent.Action.CRM_USER_CREATED,
        actor_crm_user=created_by,
        details={"crm_user_id": crm_user.pk, "email": email, "role": role},
    )
    return crm_user


def crm_user_set_language(*, crm_user: CrmUser, language: str | None) -> CrmUser:
    """Remember the language this CRM user's pages and emails speak in this CRM."""
    if language in dict(settings.LANGUAGES) and language != crm_user.language:
        crm_user.language = language
        CrmUser.objects.filter(pk=crm_user.pk).update(language=language)
    return crm_user


@transaction.atomic
def crm_user_update(
    *,
    crm: Crm,
    crm_user: CrmUser,
    actor: CrmUser,
    name: str,
    role: str,
    group_id: int | None,
    rights: dict | None,
) -> CrmUser:
    target = CrmUser.objects.for_crm(crm).select_for_update().get(pk=crm_user.pk)
    if target.role == CrmUser.Role.OWNER:
        if role != CrmUser.Role.OWNER:
            raise ValidationError({"role": _("The owner's role cannot change.")})
    elif role not in ASSIGNABLE_ROLES:
        raise ValidationError({"role": _("Choose administrator or user.")})
    if target.role == CrmUser.Role.ADMIN and role == CrmUser.Role.USER:
        admins = CrmUser.objects.for_crm(crm).filter(
            role=CrmUser.Role.ADMIN, is_active=True
        )
        if target.is_active and admins.count() == 1:
            raise ValidationError(
                {
                    "role": _(
                        "This is the last administrator: make someone else one first."
                    )
                }
            )
    before = {"role": target.role, "group_id": target.group_id, "rights": target.rights}
    target.name = " ".join(name.split()) or target.name
    target.role = role
    target.group = _group_of(crm, group_id)
    target.rights = rights_clean(rights)
    target.save(update_fields=["name", "role", "group", "rights", "updated_at"])
    if before["role"] == CrmUser.Role.ADMIN and role == CrmUser.Role.USER:
        # A key acts with full rights; one made by someone who may no longer
        # manage keys stops working with their administrator role.
        api_key_revoke_created_by(
            crm=crm, created_by=target, actor=actor, reason="creator_demoted"
        )
    after = {"role": target.role, "group_id": target.group_id, "rights": target.rights}
    if before != after:
        audit_record(
            crm=crm,
            action=AuditEvent.Action.CRM_USER_RIGHTS_CHANGED,
            actor_crm_user=actor,
            details={"crm_user_id": target.pk, "name": target.name, **after},
        )
    return target


@dataclass(frozen=True)
class Handover:
    """Records a user is responsible for, or that moved from one user to another.

    ``total`` is the records, which need a recipient chosen. Open tasks move in
    the same hand-over (to the recipient, or else to whoever deactivates), so
    that none is left with a user who is gone; ``tasks`` says how many moved."""

    contacts: int
    companies: int
    deals: int
    tasks: int = 0

    @property
    def total(self) -> int:
        return self.contacts + self.companies + self.deals


def crm_user_records_count(*, crm: Crm, crm_user: CrmUser) -> Handover:
    """The records a user is responsible for (what a deactivation needs a
    recipient for) and their open tasks: what the hand-over page shows."""

    def owned(model):
        return model.objects.for_crm(crm).filter(responsible=crm_user)

    return Handover(
        contacts=owned(Contact).count(),
        companies=owned(Company).count(),
        deals=owned(Deal).count(),
        tasks=owned(Task).filter(completed_at__isnull=True).count(),
    )


def _handover(
    crm: Crm,
    from_user: CrmUser,
    *,
    records_to: CrmUser | None,
    tasks_to: CrmUser,
    all_tasks: bool,
) -> Handover:
    """One UPDATE per table, however many records: set-based, no Python loop."""

    def move(queryset, to_user: CrmUser | None) -> int:
        if to_user is None:
            return 0
        return queryset.filter(responsible=from_user).update(responsible=to_user)

    tasks = Task.objects.for_crm(crm)
    if not all_tasks:
        tasks = tasks.filter(completed_at__isnull=True)
    return Handover(
        contacts=move(Contact.objects.for_crm(crm), records_to),
        companies=move(Company.objects.for_crm(crm), records_to),
        deals=move(Deal.objects.for_crm(crm), records_to),
        tasks=move(tasks, tasks_to),
    )


def _recipient_for(
    crm: Crm, target: CrmUser, recipient_id: int | None, *, needed: bool
) -> CrmUser | None:
    if recipient_id is None:
        if needed:
            raise ValidationError(
                {
                    "recipient": _(
                        "%(name)s is responsible for records: choose who receives them."
                    )
                    % {"name": target.name}
                }
            )
        return None
    recipient = CrmUser.objects.for_crm(crm).filter(pk=recipient_id).first()
    if recipient is None:
        raise Http404("No such user in this CRM.")
    if recipient.pk == target.pk:
        raise ValidationError(
            {"recipient": _("Choose someone else to receive the work.")}
        )
    if not recipient.is_active:
        raise ValidationError(
            {"recipient": _("%(name)s is deactivated and cannot receive work.")
             % {"name": recipient.name}}
        )  # fmt: skip
    return recipient


def _lock_target(crm: Crm, crm_user_id: int, actor: CrmUser) -> CrmUser:
    if actor.crm_id != crm.pk:
        # The actor may receive tasks: never someone of another CRM.
        raise Http404("No such user in this CRM.")
    target = (
        CrmUser.objects.for_crm(crm).select_for_update().filter(pk=crm_user_id).first()
    )
    if target is None:
        raise Http404("No such user in this CRM.")
    if target.role == CrmUser.Role.OWNER:
        raise ValidationError(_("The owner cannot be deactivated or deleted."))
    if target.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate or delete yourself."))
    return target


@transaction.atomic
def crm_user_deactivate(
    *, crm: Crm, crm_user_id: int, recipient_id: int | None, actor: CrmUser
) -> Handover:
    """Hand the user's contacts, companies and deals to ``recipient`` (needed
    when there are any) and their open tasks to the recipient or else ``actor``,
    and deactivate them, all or nothing. Their CRM sessions end (the session hash
    covers the active flag), the API keys they made are revoked (a key acts with
    the owner's rights, so it must not outlive its maker's) and their seat frees.

    The row lock makes a second, concurrent deactivation wait, then find the user
    already inactive and refuse: work is never handed over twice."""
    target = _lock_target(crm, crm_user_id, actor)
    if not target.is_active:
        raise ValidationError(
            _("%(name)s is already deactivated.") % {"name": target.name}
        )
    owned = crm_user_records_count(crm=crm, crm_user=target)
    recipient = _recipient_for(crm, target, recipient_id, needed=owned.total > 0)
    # Open tasks go with the records to the recipient. With none chosen (there
    # were no records) they go to the person deactivating, who then sees them on
    # the Tasks page: someone active must do them. Done ones stay as history.
    moved = _handover(
        crm, target, records_to=recipient, tasks_to=recipient or actor, all_tasks=False
    )
    api_key_revoke_created_by(
        crm=crm, created_by=target, actor=actor, reason="creator_deactivated"
    )
    target.is_active = False
    target.save(update_fields=["is_active", "updated_at"])
    audit_record(
        crm=crm,
        action=AuditEvent.Action.CRM_USER_DEACTIVATED,
        actor_crm_user=actor,
        details={
            "crm_user_id": target.pk,
            "name": target.name,
            "recipient_id": recipient.pk if recipient else None,
            "recipient_name": recipient.name if recipient else None,
            **moved.__dict__,
        },
    )
    return moved


@transaction.atomic
def crm_user_reactivate(*, crm: Crm, crm_user_id: int, actor: CrmUser) -> CrmUser:
    target = (
        CrmUser.objects.for_crm(crm).select_for_update().filter(pk=crm_user_id).first()
    )
    if target is None:
        raise Http404("No such user in this CRM.")
    if target.is_active:
        raise ValidationError(_("%(name)s is already active.") % {"name": target.name})
    _seat_available_or_raise(crm)
    target.is_active = True
    target.save(update_fields=["is_active", "updated_at"])
    audit_record(
        crm=crm,
        action=AuditEvent.Action.CRM_USER_REACTIVATED,
        actor_crm_user=actor,
        details={"crm_user_id": target.pk, "name": target.name},
    )
    return target


@transaction.atomic
def crm_user_delete(
    *, crm: Crm, crm_user_id: int, recipient_id: int | None, actor: CrmUser
) -> Handover:
    """The deactivation's hand-over (every task included) and revocation of
    their API keys, then the user goes. The audit trail keeps their name."""
    target = _lock_target(crm, crm_user_id, actor)
    owned = crm_user_records_count(crm=crm, crm_user=target)
    recipient = _recipient_for(crm, target, recipient_id, needed=owned.total > 0)
    # Every task must leave a deleted user, done ones too; as on deactivation,
    # to the person deleting when no recipient was chosen.
    moved = _handover(
        crm, target, records_to=recipient, tasks_to=recipient or actor, all_tasks=True
    )
    details = {
        "crm_user_id": target.pk,
        "name": target.name,
        "email": target.email,
        "recipient_id": recipient.pk if recipient else None,
        "recipient_name": recipient.name if recipient else None,
        **moved.__dict__,
    }
    # Before the row goes: afterwards their keys no longer say whose they were.
    api_key_revoke_created_by(
        crm=crm, created_by=target, actor=actor, reason="creator_deleted"
    )
    target.delete()
    audit_record(
        crm=crm,
        action=AuditEvent.Action.CRM_USER_DELETED,
        actor_crm_user=actor,
        details=details,
    )
    return moved


@transaction.atomic
def crm_seat_limit_set(*, crm: Crm, seat_limit: int | None, actor: CrmUser) -> Crm:
    if actor.role != CrmUser.Role.OWNER:
        raise ValidationError(_("Only the owner can change the number of seats."))
    locked = _crm_locked(crm)
    used = crm_seats_used(crm=locked)
    if seat_limit is not None and seat_limit < used:
        raise ValidationError(
            _(
                "%(used)d users are active: deactivate some before lowering the "
                "seats to %(limit)d."
            )
            % {"used": used, "limit": seat_limit}
        )
    locked.seat_limit = seat_limit
    locked.save(update_fields=["seat_limit", "updated_at"])
    return locked


def crm_group_create(*, crm: Crm, name: str) -> CrmGroup:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the group a name.")})
    if CrmGroup.objects.for_crm(crm).filter(name__iexact=name).exists():
        raise ValidationError({"name": _("There is already a group with this name.")})
    return CrmGroup.objects.create(crm=crm, name=name)


def crm_group_rename(*, crm: Crm, group_id: int, name: str) -> CrmGroup:
    group = _group_of(crm, group_id)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the group a name.")})
    clash = CrmGroup.objects.for_crm(crm).filter(name__iexact=name).exclude(pk=group.pk)
    if clash.exists():
        raise ValidationError({"name": _("There is already a group with this name.")})
    group.name = name
    group.save(update_fields=["name"])
    return group


@transaction.atomic
def crm_group_delete(*, crm: Crm, group_id: int) -> None:
    group = (
        CrmGroup.objects.for_crm(crm).select_for_update().filter(pk=group_id).first()
    )
    if group is None:
        raise Http404("No such group in this CRM.")
    members = CrmUser.objects.for_crm(crm).filter(group=group).count()
    if members:
        raise ValidationError(
            _("Move the %(count)d users of %(name)s to another group first.")
            % {"count": members, "name": group.name}
        )
    group.delete()


def crm_groups_with_counts(*, crm: Crm):
    return (
        CrmGroup.objects.for_crm(crm)
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("name")
    )


def crm_user_set_active(*, crm_user: CrmUser, is_active: bool) -> CrmUser:
    crm_user.is_active = is_active
    crm_user.save(update_fields=["is_active", "updated_at"])
    return crm_user
