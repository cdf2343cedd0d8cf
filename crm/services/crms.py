"""Creating a CRM and making it ready: its address, its owner's CRM user and
defaults, and the emails that say where a person's CRMs live."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from slugify import slugify

from config.celery import enqueue_after_commit
from crm.models import (
    CRM_NAME_MAX_LENGTH,
    AuditEvent,
    Crm,
    CrmGroup,
    CrmTombstone,
    CrmUser,
    Pipeline,
    PipelineStatus,
)
from crm.services.audit import audit_record

# Words a CRM's address may never be: they name, or may one day name, parts of the
# product itself (paths today, subdomains if CRMs move to their own hosts).
RESERVED_SLUGS = frozenset(
    {
        "accounts", "admin", "api", "app", "billing", "c", "crm", "docs", "find",
        "help", "login", "logout", "mail", "media", "portal", "r", "signup",
        "static", "status", "support", "www",
    }
)  # fmt: skip
SLUG_BASE_MAX_LENGTH = 40


def crm_name_clean(name: str | None) -> str:
    """Return the name as it will be stored, or raise a message a person can act on."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise ValidationError(_("Give your CRM a name."), code="crm_name_empty")
    if len(cleaned) > CRM_NAME_MAX_LENGTH:
        raise ValidationError(
            _("A CRM name can be at most %(limit)d characters long.")
            % {"limit": CRM_NAME_MAX_LENGTH},
            code="crm_name_too_long",
        )
    return cleaned


def _crm_slug_candidates(name: str) -> tuple[str, set[str]]:
    base = (
        slugify(
            name,
            max_length=SLUG_BASE_MAX_LENGTH,
            word_boundary=True,
            # "Olga's Shop" reads as olgas-shop, not olga-s-shop.
            replacements=[["'", ""], ["\u2019", ""]],
        )
        or "my-crm"
    )
    if base in RESERVED_SLUGS:
        base = f"{base}-crm"
    # A purged CRM's address is never handed out again: old links and bookmarks
    # must not lead into somebody else's CRM. One query for both tables.
    live = Crm.objects.filter(slug__startswith=base).values_list("slug", flat=True)
    buried = CrmTombstone.objects.filter(slug__startswith=base).values_list(
        "slug", flat=True
    )
    taken = set(live.union(buried))
    return base, taken


def crm_slug_generate(*, name: str) -> str:
    """A free address derived from the name: ``acme``, then ``acme-2``, ``acme-3``...

    One query however many CRMs share the name; a concurrent insert of the same slug
    is caught by the unique constraint and retried by ``crm_create``."""
    base, taken = _crm_slug_candidates(name)
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


@transaction.atomic
def crm_create(*, owner: Any, name: str, provision_now: bool = False) -> Crm:
    """Create a CRM owned by ``owner`` (an Account).

    The CRM exists at once as "being created"; a worker provisions it after commit.
    With ``provision_now`` it is made ready inside the caller's transaction instead
    (the first CRM at sign-up, which must exist with the Account or not at all).
    """
    from crm.tasks import provision_crm  # tasks import services: import when used

    cleaned_name = crm_name_clean(name)
    limit = settings.CRM_MAX_OWNED_PER_ACCOUNT
    if Crm.objects.filter(owner=owner).count() >= limit:
        raise ValidationError(
            _(
                "You already own %(limit)d CRMs, the most one account can have. "
                "Delete one you no longer use, or contact support to raise the limit."
            )
            % {"limit": limit},
            code="crm_limit_reached",
        )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                crm = Crm.objects.create(
                    name=cleaned_name,
                    slug=crm_slug_generate(name=cleaned_name),
                    owner=owner,
                    status=Crm.Status.PROVISIONING,
                )
            break
        except IntegrityError:
            # Another request took the same slug between our read and our insert.
            continue
    else:
        raise ValidationError(
            _("Could not find a free address for this CRM. Please try another name."),
            code="crm_slug_exhausted",
        )
    _crm_owner_user_ensure(crm)
    audit_record(crm=crm, action=AuditEvent.Action.CRM_CREATED, actor_account=owner)
    if provision_now:
        crm_provision(crm_id=crm.pk)
        crm.refresh_from_db()
    else:
        enqueue_after_commit(provision_crm, crm.pk)
    return crm


def _crm_owner_user_ensure(crm: Crm) -> CrmUser:
    """The owner's own CRM user, linked to their Account, so the CRM is in their
    portal list from the first moment, even while it is being created."""
    existing = CrmUser.objects.for_crm(crm).filter(role=CrmUser.Role.OWNER).first()
    if existing is not None:
        return existing
    owner = crm.owner
    return CrmUser.objects.create(
        crm=crm,
        name=owner.get_full_name(),
        email=owner.email,
        # No password of its own: the owner enters through the portal, so the
        # Account's password, its change and its reset are the only ones that count.
        password=make_password(None),
        role=CrmUser.Role.OWNER,
        account=owner,
        # Inside the new CRM the owner first speaks what they chose for the portal.
        language=owner.language,
    )


def _crm_defaults_ensure(crm: Crm) -> None:
    """What a new CRM starts with, so it is usable the moment it opens: a sales
    pipeline (ending in Won and Lost) and two groups."""
    if not Pipeline.objects.for_crm(crm).exists():
        pipeline = Pipeline.objects.create(crm=crm, name=_("Sales"), position=0)
        statuses = [
            (_("New"), PipelineStatus.Kind.OPEN, "#0b5cad"),
            (_("Qualified"), PipelineStatus.Kind.OPEN, "#6639ba"),
            (_("Proposal sent"), PipelineStatus.Kind.OPEN, "#9a6700"),
            (_("Negotiation"), PipelineStatus.Kind.OPEN, "#bc4c00"),
            (_("Won"), PipelineStatus.Kind.WON, "#1a7f37"),
            (_("Lost"), PipelineStatus.Kind.LOST, "#b42318"),
        ]
        PipelineStatus.objects.bulk_create(
            PipelineStatus(
                crm=crm, pipeline=pipeline, name=name, kind=kind, color=color,
                position=position,
            )
            for position, (name, kind, color) in enumerate(statuses)
        )  # fmt: skip
    if not CrmGroup.objects.for_crm(crm).exists():
        CrmGroup.objects.bulk_create(
            CrmGroup(crm=crm, name=name) for name in (_("Sales"), _("Management"))
        )


@transaction.atomic
def crm_provision(*, crm_id: int) -> Crm | None:
    """Make a CRM ready: its owner's linked CRM user and defaults, then ``active``.

    Safe to run any number of times: it locks the CRM row and does nothing to a CRM
    that is not being created (already ready, or gone)."""
    crm = (
        Crm.objects.select_for_update()
        .select_related("owner")
        .filter(pk=crm_id)
        .first()
    )
    if crm is None or crm.status != Crm.Status.PROVISIONING:
        return crm
    _crm_owner_user_ensure(crm)
    # The default pipeline and groups are named in the owner's language, whether
    # the CRM is provisioned in their request or later by a worker.
    with translation.override(crm.owner.email_language):
        _crm_defaults_ensure(crm)
    crm.status = Crm.Status.ACTIVE
    crm.save(update_fields=["status", "updated_at"])
    audit_record(crm=crm, action=AuditEvent.Action.CRM_ACTIVATED)
    from crm.tasks import send_crm_ready_email

    enqueue_after_commit(send_crm_ready_email, crm.pk)
    return crm


def crm_send_ready_email(*, crm: Crm) -> None:
    """Tell the owner where their new CRM lives and that they enter it through the
    portal, with their Account's password (the CRM holds none of theirs)."""
    owner_user = CrmUser.objects.for_crm(crm).filter(role=CrmUser.Role.OWNER).first()
    if owner_user is None:
        return
    context = {
        "crm": crm,
        "crm_user": owner_user,
        "direct_link": crm_direct_link(crm=crm),
        "portal_link": settings.SITE_URL + reverse("portal:crm_list"),
    }
    # To the owner's Account, in the language it chose for the portal.
    with translation.override(crm.owner.email_language):
        subject = render_to_string("emails/crm_ready_subject.txt", context).strip()
        body = render_to_string("emails/crm_ready_body.txt", context)
    send_mail(subject, body, None, [crm.owner.email])


def crm_direct_link(*, crm: Crm) -> str:
    return settings.SITE_URL + reverse("crm:home", kwargs={"slug": crm.slug})


def crm_send_memberships_email(
    *, email: str, memberships: list[CrmUser], language: str = ""
) -> None:
    """Find my CRMs: the CRMs where ``email`` is a user, with their login links.

    ``language``: the one the request was made in, since an address is not a
    person (it may be several CRM users, each with a language of their own)."""
    links = [
        {
            "crm": m.crm,
            "login_link": settings.SITE_URL
            + reverse("crm:login", kwargs={"slug": m.crm.slug}),
        }
        for m in memberships
    ]
    context = {"email": email, "links": links}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string("emails/find_crms_subject.txt", context).strip()
        body = render_to_string("emails/find_crms_body.txt", context)
    send_mail(subject, body, None, [email])
