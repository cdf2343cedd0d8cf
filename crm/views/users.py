"""Settings → Users: the CRM's users, their rights, groups and seats (owner and
admins)."""

from __future__ import annotations

from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.forms.errors import form_add_service_errors
from crm.forms.users import (
    CrmUserAddForm,
    CrmUserForm,
    DeactivateForm,
    GroupForm,
    SeatsForm,
    UserPasswordSetForm,
)
from crm.models.tenancy import id_from
from crm.rights import rights_summary
from crm.selectors.users import (
    crm_user_find_by_email,
    crm_user_get,
    crm_users_list,
)
from crm.services.invitations import crm_invitation_refusal, crm_user_invite
from crm.services.password_reset import (
    crm_password_reset_send,
    crm_user_password_refusal,
    crm_user_password_set_by_admin,
    password_reset_ttl_minutes,
)
from crm.services.users import (
    crm_group_create,
    crm_group_delete,
    crm_group_rename,
    crm_groups_with_counts,
    crm_seat_limit_set,
    crm_user_create,
    crm_user_deactivate,
    crm_user_delete,
    crm_user_reactivate,
    crm_user_records_count,
    crm_user_update,
)
from crm.tenancy import crm_admin_required, crm_view


def _users_url(request: HttpRequest) -> str:
    return reverse("crm:users", kwargs={"slug": request.crm.slug})


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_http_methods(["GET"])
@crm_view
@crm_admin_required
def users_list(request: HttpRequest) -> HttpResponse:
    users = list(crm_users_list(crm=request.crm).select_related("group"))
    for user in users:
        user.rights_line = rights_summary(user)
    return render(
        request,
        "crm/settings/users.html",
        {
            "users": users,
            "seats_used": sum(1 for u in users if u.is_active),
            "seats_form": SeatsForm(initial={"seat_limit": request.crm.seat_limit}),
        },
    )


# Invitations are email sent in the CRM's name to any address typed: at most so many
# per CRM and so many to one address from all CRMs, as ACCOUNT_RATE_LIMITS says.
def _invite_keys(request: HttpRequest, email: str) -> dict[str, str]:
    return {
        "crm_invite": str(request.crm.pk),
        "crm_invite_address": email.strip().lower(),
    }


def _invitations_left(request: HttpRequest, email: str) -> bool:
    return all(
        ratelimit.consume(request, action=action, key=key, dry_run=True)
        for action, key in _invite_keys(request, email).items()
    )


def _invitation_counted(request: HttpRequest, email: str) -> None:
    for action, key in _invite_keys(request, email).items():
        ratelimit.consume(request, action=action, key=key)


def _invitation_refused(request: HttpRequest, form) -> int | None:
    """The status to answer with when the invitation asked for cannot go out (the
    reason added to the form, nothing created), or None."""
    refusal = crm_invitation_refusal(crm=request.crm)
    if refusal:
        form.add_error(None, refusal)
        return 403
    if not _invitations_left(request, form.cleaned_data["email"]):
        form.add_error(
            None,
            _(
                "Too many invitations were sent lately. Please wait an hour, or "
                "give the new user a password instead."
            ),
        )
        return 429
    return None


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def user_add(request: HttpRequest) -> HttpResponse:
    form = CrmUserAddForm(request.POST or None, crm=request.crm)
    refused = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        refused = _invitation_refused(request, form) if data["invite"] else None
        if refused is None:
            try:
                crm_user = crm_user_create(
                    crm=request.crm,
                    name=data["name"],
                    email=data["email"],
                    password=None if data["invite"] else data["password"],
                    role=data["role"],
                    group_id=data["group"].pk if data["group"] else None,
                    rights=form.cleaned_rights(),
                    created_by=request.crm_user,
                    validate=True,
                    # The invitation speaks the admin's language until the user chooses.
                    language=request.LANGUAGE_CODE,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                if data["invite"]:
                    crm_user_invite(crm_user=crm_user, invited_by=request.crm_user)
                    _invitation_counted(request, crm_user.email)
                    note = _(
                        "%(name)s is added; an invitation is on its way to %(email)s."
                    )
                else:
                    note = _("%(name)s is added. Pass them their email and password.")
                messages.success(
                    request, note % {"name": crm_user.name, "email": crm_user.email}
                )
                return redirect(_users_url(request))
    status = refused or (400 if form.errors else 200)
    return render(request, "crm/settings/user_add.html", {"form": form}, status=status)


@require_http_methods(["GET"])
@crm_view
@crm_admin_required
def user_lookup(request: HttpRequest) -> HttpResponse:
    """htmx: whether the email typed in "Add user" is a user of this CRM already,
    or was one and is deactivated (then reactivating them is offered). Nothing is
    said about other CRMs or Accounts: an administrator of one CRM learns no
    one's name or whereabouts from another."""
    key = f"{request.crm.pk}:{request.crm_user.pk}"
    if not ratelimit.consume(request, action="crm_user_lookup", key=key):
        return HttpResponse(status=429)
    email = request.GET.get("email", "")
    here = crm_user_find_by_email(crm=request.crm, email=email) if email else None
    return render(request, "crm/settings/_existing_person.html", {"here": here})


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def user_edit(request: HttpRequest, crm_user_id: int) -> HttpResponse:
    target = crm_user_get(crm=request.crm, crm_user_id=crm_user_id)
    form = CrmUserForm(
        request.POST or None,
        crm=request.crm,
        initial_rights=target.rights,
        initial={"name": target.name, "role": target.role, "group": target.group_id},
    )
    if target.role == "owner":
        form.fields["role"].choices = [("owner", target.get_role_display())]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            crm_user_update(
                crm=request.crm,
                crm_user=target,
                actor=request.crm_user,
                name=data["name"],
                role=data["role"],
                group_id=data["group"].pk if data["group"] else None,
                rights=form.cleaned_rights(),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("Changes to %(name)s saved.") % {"name": target.name}
            )
            return redirect(_users_url(request))
    status = 400 if form.errors else 200
    return render(
        request,
        "crm/settings/user_edit.html",
        {
            "form": form,
            "target": target,
            "password_refusal": crm_user_password_refusal(
                actor=request.crm_user, target=target
            ),
        },
        status=status,
    )


def _user_edit_url(request: HttpRequest, target) -> str:
    return reverse(
        "crm:user_edit", kwargs={"slug": request.crm.slug, "crm_user_id": target.pk}
    )


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def user_password_link(request: HttpRequest, crm_user_id: int) -> HttpResponse:
    """Confirm, then email the user a link to choose a new password."""
    target = crm_user_get(crm=request.crm, crm_user_id=crm_user_id)
    refusal = crm_user_password_refusal(actor=request.crm_user, target=target)
    errors: list[str] = []
    if request.method == "POST" and not refusal:
        try:
            crm_password_reset_send(
                crm=request.crm, crm_user_id=target.pk, actor=request.crm_user
            )
        except PermissionDenied as denied:
            refusal = str(denied)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(
                request,
                _("A link to choose a new password is on its way to %(email)s.")
                % {"email": target.email},
            )
            return redirect(_user_edit_url(request, target))
    return render(
        request,
        "crm/settings/user_password_link.html",
        {
            "target": target,
            "refusal": refusal,
            "errors": errors,
            "minutes": password_reset_ttl_minutes(),
        },
        status=403 if refusal else 400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def user_password_set(request: HttpRequest, crm_user_id: int) -> HttpResponse:
    """Set a user's new password, typed twice, to pass on to them."""
    target = crm_user_get(crm=request.crm, crm_user_id=crm_user_id)
    refusal = crm_user_password_refusal(actor=request.crm_user, target=target)
    form = UserPasswordSetForm(request.POST or None, crm_user=target)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            crm_user_password_set_by_admin(
                crm=request.crm,
                crm_user_id=target.pk,
                actor=request.crm_user,
                password=form.cleaned_data["password1"],
            )
        except PermissionDenied as denied:
            refusal = str(denied)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "The new password of %(name)s is set and their sessions have "
                    "ended. Pass the password on to them."
                )
                % {"name": target.name},
            )
            return redirect(_user_edit_url(request, target))
    response = render(
        request,
        "crm/settings/user_password_set.html",
        {"target": target, "refusal": refusal, "form": form},
        status=403 if refusal else 400 if form.errors else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


def _handover_page(
    request: HttpRequest, crm_user_id: int, *, deleting: bool
) -> HttpResponse:
    target = crm_user_get(crm=request.crm, crm_user_id=crm_user_id)
    form = DeactivateForm(crm=request.crm, target=target)
    errors: list[str] = []
    if request.method == "POST":
        # The recipient goes to the service by id and is resolved inside this CRM
        # there, so another CRM's id is a 404, never a hand-over.
        raw = request.POST.get("recipient") or None
        recipient_id = id_from(raw) if raw else None
        if raw and recipient_id is None:
            errors.append(_("Choose a user from the list."))
        service = crm_user_delete if deleting else crm_user_deactivate
        try:
            if errors:
                raise ValidationError(errors)
            moved = service(
                crm=request.crm,
                crm_user_id=target.pk,
                recipient_id=recipient_id,
                actor=request.crm_user,
            )
        except ValidationError as error:
            errors = error.messages
            form = DeactivateForm(
                initial={"recipient": recipient_id}, crm=request.crm, target=target
            )
        else:
            done = (
                _("%(name)s is deleted; %(count)d records were handed over.")
                if deleting
                else _("%(name)s is deactivated; %(count)d records were handed over.")
            )
            messages.success(
                request, done % {"name": target.name, "count": moved.total}
            )
            return redirect(_users_url(request))
    owned = crm_user_records_count(crm=request.crm, crm_user=target)
    return render(
        request,
        "crm/settings/user_handover.html",
        {
            "form": form,
            "errors": errors,
            "target": target,
            "owned": owned,
            "deleting": deleting,
        },
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def user_deactivate(request: HttpRequest, crm_user_id: int) -> HttpResponse:
    return _handover_page(request, crm_user_id, deleting=False)


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def user_delete(request: HttpRequest, crm_user_id: int) -> HttpResponse:
    return _handover_page(request, crm_user_id, deleting=True)


@require_POST
@crm_view
@crm_admin_required
def user_reactivate(request: HttpRequest, crm_user_id: int) -> HttpResponse:
    try:
        user = crm_user_reactivate(
            crm=request.crm, crm_user_id=crm_user_id, actor=request.crm_user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s is active again.") % {"name": user.name})
    return redirect(_users_url(request))


@require_POST
@crm_view
@crm_admin_required
def seats_update(request: HttpRequest) -> HttpResponse:
    form = SeatsForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for e in form.errors.values() for m in e))
        return redirect(_users_url(request))
    try:
        crm_seat_limit_set(
            crm=request.crm,
            seat_limit=form.cleaned_data["seat_limit"],
            actor=request.crm_user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Seats updated."))
    return redirect(_users_url(request))


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def groups(request: HttpRequest) -> HttpResponse:
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            crm_group_create(crm=request.crm, name=form.cleaned_data["name"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Group created."))
            return redirect("crm:groups", slug=request.crm.slug)
    return render(
        request,
        "crm/settings/groups.html",
        {"form": form, "groups": crm_groups_with_counts(crm=request.crm)},
        status=400 if form.errors else 200,
    )


@require_POST
@crm_view
@crm_admin_required
def group_rename(request: HttpRequest, group_id: int) -> HttpResponse:
    form = GroupForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give the group a name."))
        crm_group_rename(
            crm=request.crm, group_id=group_id, name=form.cleaned_data["name"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Group renamed."))
    return redirect("crm:groups", slug=request.crm.slug)


@require_POST
@crm_view
@crm_admin_required
def group_delete(request: HttpRequest, group_id: int) -> HttpResponse:
    try:
        crm_group_delete(crm=request.crm, group_id=group_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Group deleted."))
    return redirect("crm:groups", slug=request.crm.slug)
