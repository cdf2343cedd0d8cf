"""Seats, hand-over on deactivation and deletion, roles and groups."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections
from django.http import Http404
from django.utils import timezone

from crm.models import AuditEvent, Company, Contact, Crm, CrmUser, Deal, Task
from crm.services.users import (
    crm_group_create,
    crm_group_delete,
    crm_seat_limit_set,
    crm_seats_used,
    crm_user_create,
    crm_user_deactivate,
    crm_user_delete,
    crm_user_reactivate,
    crm_user_records_count,
    crm_user_update,
)
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    CrmGroupFactory,
    CrmUserFactory,
    DealFactory,
    TaskFactory,
)


@pytest.fixture
def colleague_a(crm_a):
    return CrmUserFactory(crm=crm_a, name="Carl Colleague")


def give_work(user, n=3):
    ContactFactory.create_batch(n, responsible=user)
    CompanyFactory.create_batch(n, responsible=user)
    DealFactory.create_batch(n, responsible=user)
    TaskFactory.create_batch(n, responsible=user)
    TaskFactory(responsible=user, completed_at=timezone.now())


def add(crm, email, **kwargs):
    return crm_user_create(
        crm=crm, name="New Person", email=email, password="long-enough-pw", **kwargs
    )


# --- seats -------------------------------------------------------------------------


def test_adding_past_the_seat_limit_is_refused_with_what_to_do(crm_a, owner_a):
    Crm.objects.filter(pk=crm_a.pk).update(seat_limit=2)
    add(crm_a, "one@example.com")
    with pytest.raises(ValidationError) as refused:
        add(crm_a, "two@example.com")
    assert "All 2 seats are taken" in str(refused.value)
    assert "Deactivate a user" in str(refused.value)
    assert crm_seats_used(crm=crm_a) == 2


def test_deactivation_frees_a_seat_and_reactivation_needs_one(crm_a, owner_a, staff_a):
    Crm.objects.filter(pk=crm_a.pk).update(seat_limit=2)
    crm_user_deactivate(
        crm=crm_a, crm_user_id=staff_a.pk, recipient_id=None, actor=owner_a
    )
    newcomer = add(crm_a, "newcomer@example.com")
    with pytest.raises(ValidationError, match="seats are taken"):
        crm_user_reactivate(crm=crm_a, crm_user_id=staff_a.pk, actor=owner_a)
    crm_user_deactivate(
        crm=crm_a, crm_user_id=newcomer.pk, recipient_id=None, actor=owner_a
    )
    crm_user_reactivate(crm=crm_a, crm_user_id=staff_a.pk, actor=owner_a)
    staff_a.refresh_from_db()
    assert staff_a.is_active


def test_only_the_owner_sets_seats_and_not_below_active_users(crm_a, owner_a, staff_a):
    admin = CrmUserFactory(crm=crm_a, role="admin")
    with pytest.raises(ValidationError, match="Only the owner"):
        crm_seat_limit_set(crm=crm_a, seat_limit=10, actor=admin)
    with pytest.raises(ValidationError, match="3 users are active"):
        crm_seat_limit_set(crm=crm_a, seat_limit=2, actor=owner_a)
    assert crm_seat_limit_set(crm=crm_a, seat_limit=3, actor=owner_a).seat_limit == 3
    assert (
        crm_seat_limit_set(crm=crm_a, seat_limit=None, actor=owner_a).seat_limit is None
    )


def test_new_user_password_is_validated_when_asked(crm_a):
    with pytest.raises(ValidationError) as refused:
        crm_user_create(
            crm=crm_a,
            name="Weak",
            email="weak@example.com",
            password="123",
            validate=True,
        )
    assert "password" in refused.value.message_dict
    assert not CrmUser.objects.filter(email="weak@example.com").exists()


def test_group_from_another_crm_is_404(crm_a, crm_b):
    foreign = CrmGroupFactory(crm=crm_b)
    with pytest.raises(Http404):
        add(crm_a, "x@example.com", group_id=foreign.pk)


# --- deactivation and hand-over ------------------------------------------------------


def test_deactivation_hands_everything_open_to_the_recipient(
    crm_a, crm_b, owner_a, staff_a, colleague_a, staff_b
):
    give_work(staff_a)
    give_work(staff_b)  # another CRM's work, never touched

    moved = crm_user_deactivate(
        crm=crm_a, crm_user_id=staff_a.pk, recipient_id=colleague_a.pk, actor=owner_a
    )

    assert (moved.contacts, moved.companies, moved.deals, moved.tasks) == (3, 3, 3, 3)
    for model in (Contact, Company, Deal):
        assert model.objects.filter(responsible=staff_a).count() == 0
        assert model.objects.filter(responsible=colleague_a).count() == 3
        assert model.objects.filter(responsible=staff_b).count() == 3
    # A finished task stays with the person who finished it.
    assert Task.objects.get(responsible=staff_a).is_done
    staff_a.refresh_from_db()
    assert not staff_a.is_active
    event = AuditEvent.objects.get(crm=crm_a, action="crm_user.deactivated")
    assert event.details["recipient_name"] == "Carl Colleague"
    assert event.details["deals"] == 3
    assert event.actor_crm_user == owner_a


def test_the_hand_over_count_needs_a_recipient_for_records_and_counts_open_tasks(
    crm_a, staff_a
):
    give_work(staff_a, n=2)
    owned = crm_user_records_count(crm=crm_a, crm_user=staff_a)
    assert (owned.contacts, owned.companies, owned.deals, owned.total) == (2, 2, 2, 6)
    # Open ones only: a completed task stays as history.
    assert owned.tasks == 2


def test_deactivation_moves_open_tasks_with_the_records_but_counts_records(
    crm_a, owner_a, staff_a, colleague_a
):
    give_work(staff_a, n=2)
    moved = crm_user_deactivate(
        crm=crm_a, crm_user_id=staff_a.pk, recipient_id=colleague_a.pk, actor=owner_a
    )
    assert moved.total == 6
    assert (
        Task.objects.filter(responsible=colleague_a, completed_at__isnull=True).count()
        == 2
    )


def test_a_user_with_only_tasks_needs_no_recipient_and_the_tasks_go_to_the_actor(
    crm_a, owner_a, staff_a
):
    admin = CrmUserFactory(crm=crm_a, role="admin")
    TaskFactory.create_batch(2, responsible=staff_a)
    done = TaskFactory(responsible=staff_a, completed_at=timezone.now())

    moved = crm_user_deactivate(
        crm=crm_a, crm_user_id=staff_a.pk, recipient_id=None, actor=admin
    )

    assert (moved.total, moved.tasks) == (0, 2)
    assert (
        Task.objects.filter(responsible=admin, completed_at__isnull=True).count() == 2
    )
    done.refresh_from_db()
    assert done.responsible == staff_a
    assert not Task.objects.filter(
        responsible=staff_a, completed_at__isnull=True
    ).exists()


def test_deleting_a_user_with_only_tasks_gives_every_task_to_the_actor(
    crm_a, owner_a, staff_a
):
    TaskFactory.create_batch(2, responsible=staff_a)
    TaskFactory(responsible=staff_a, completed_at=timezone.now())

    moved = crm_user_delete(
        crm=crm_a, crm_user_id=staff_a.pk, recipient_id=None, actor=owner_a
    )

    assert (moved.total, moved.tasks) == (0, 3)
    assert not CrmUser.objects.filter(pk=staff_a.pk).exists()
    assert Task.objects.filter(responsible=owner_a).count() == 3


def test_an_actor_of_another_crm_gets_404_and_receives_nothing(
    crm_a, crm_b, staff_a, staff_b
):
    TaskFactory(responsible=staff_a)
    admin_b = CrmUserFactory(crm=crm_b, role="admin")
    for service in (crm_user_deactivate, crm_user_delete):
        with pytest.raises(Http404):
            service(crm=crm_a, crm_user_id=staff_a.pk, recipient_id=None, actor=admin_b)
    assert Task.objects.get().responsible == staff_a
    staff_a.refresh_from_db()
    assert staff_a.is_active


def test_recipient_is_required_when_the_user_owns_records(crm_a, owner_a, staff_a):
    ContactFactory(responsible=staff_a)
    with pytest.raises(ValidationError, match="choose who receives them"):
        crm_user_deactivate(
            crm=crm_a, crm_user_id=staff_a.pk, recipient_id=None, actor=owner_a
        )
    staff_a.refresh_from_db()
    assert staff_a.is_active


def test_recipient_from_another_crm_is_404_and_nothing_moves(
    crm_a, owner_a, staff_a, staff_b
):
    ContactFactory(responsible=staff_a)
    with pytest.raises(Http404):
        crm_user_deactivate(
            crm=crm_a, crm_user_id=staff_a.pk, recipient_id=staff_b.pk, actor=owner_a
        )
    assert Contact.objects.get().responsible == staff_a


def test_user_of_another_crm_cannot_be_deactivated_from_here(crm_a, owner_a, staff_b):
    with pytest.raises(Http404):
        crm_user_deactivate(
            crm=crm_a, crm_user_id=staff_b.pk, recipient_id=None, actor=owner_a
        )
    staff_b.refresh_from_db()
    assert staff_b.is_active


def test_deactivated_recipient_is_refused(crm_a, owner_a, staff_a, colleague_a):
    ContactFactory(responsible=staff_a)
    CrmUser.objects.filter(pk=colleague_a.pk).update(is_active=False)
    with pytest.raises(ValidationError, match="cannot receive work"):
        crm_user_deactivate(
            crm=crm_a,
            crm_user_id=staff_a.pk,
            recipient_id=colleague_a.pk,
            actor=owner_a,
        )


def test_owner_cannot_be_deactivated_and_admins_not_themselves(crm_a, owner_a):
    admin = CrmUserFactory(crm=crm_a, role="admin")
    with pytest.raises(ValidationError, match="owner cannot"):
        crm_user_deactivate(
            crm=crm_a, crm_user_id=owner_a.pk, recipient_id=None, actor=admin
        )
    with pytest.raises(ValidationError, match="yourself"):
        crm_user_deactivate(
            crm=crm_a, crm_user_id=admin.pk, recipient_id=None, actor=admin
        )


def test_deactivating_twice_is_refused(crm_a, owner_a, staff_a):
    crm_user_deactivate(
        crm=crm_a, crm_user_id=staff_a.pk, recipient_id=None, actor=owner_a
    )
    with pytest.raises(ValidationError, match="already deactivated"):
        crm_user_deactivate(
            crm=crm_a, crm_user_id=staff_a.pk, recipient_id=None, actor=owner_a
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_deactivations_hand_over_once(crm_a, owner_a, staff_a):
    first = CrmUserFactory(crm=crm_a, name="First")
    second = CrmUserFactory(crm=crm_a, name="Second")
    ContactFactory.create_batch(5, responsible=staff_a)
    outcomes = []
    barrier = threading.Barrier(2)

    def deactivate(recipient):
        barrier.wait()
        try:
            crm_user_deactivate(
                crm=crm_a,
                crm_user_id=staff_a.pk,
                recipient_id=recipient.pk,
                actor=owner_a,
            )
            outcomes.append("done")
        except ValidationError:
            outcomes.append("refused")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=deactivate, args=(r,)) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["done", "refused"]
    receivers = set(Contact.objects.values_list("responsible_id", flat=True))
    assert len(receivers) == 1 and receivers <= {first.pk, second.pk}
    assert AuditEvent.objects.filter(action="crm_user.deactivated").count() == 1


def test_delete_hands_over_every_task_and_keeps_the_name_in_the_audit(
    crm_a, owner_a, staff_a, colleague_a
):
    give_work(staff_a)
    moved = crm_user_delete(
        crm=crm_a, crm_user_id=staff_a.pk, recipient_id=colleague_a.pk, actor=owner_a
    )
    assert moved.tasks == 4  # the finished one too: nothing may point at a deleted user
    assert not CrmUser.objects.filter(pk=staff_a.pk).exists()
    event = AuditEvent.objects.get(action="crm_user.deleted")
    assert event.details["name"] == "Anna Staff"


# --- roles and groups ----------------------------------------------------------------


def test_last_admin_cannot_be_demoted(crm_a, owner_a):
    admin = CrmUserFactory(crm=crm_a, role="admin")
    with pytest.raises(ValidationError, match="last administrator"):
        crm_user_update(
            crm=crm_a, crm_user=admin, actor=owner_a, name=admin.name, role="user",
            group_id=None, rights=None,
        )  # fmt: skip
    CrmUserFactory(crm=crm_a, role="admin")
    updated = crm_user_update(
        crm=crm_a, crm_user=admin, actor=owner_a, name=admin.name, role="user",
        group_id=None, rights={"deal": {"delete": "own"}},
    )  # fmt: skip
    assert updated.role == "user"
    assert updated.rights["deal"]["delete"] == "own"
    assert AuditEvent.objects.filter(action="crm_user.rights_changed").exists()


def test_owner_role_cannot_change_and_nobody_becomes_owner(crm_a, owner_a, staff_a):
    with pytest.raises(ValidationError):
        crm_user_update(
            crm=crm_a, crm_user=owner_a, actor=owner_a, name="x", role="admin",
            group_id=None, rights=None,
        )  # fmt: skip
    with pytest.raises(ValidationError):
        crm_user_update(
            crm=crm_a, crm_user=staff_a, actor=owner_a, name="x", role="owner",
            group_id=None, rights=None,
        )  # fmt: skip


def test_bad_rights_are_refused(crm_a, owner_a, staff_a):
    with pytest.raises(ValidationError, match="not a valid scope"):
        crm_user_update(
            crm=crm_a, crm_user=staff_a, actor=owner_a, name="x", role="user",
            group_id=None, rights={"contact": {"view": "everything"}},
        )  # fmt: skip


def test_only_an_empty_group_can_be_deleted(crm_a, staff_a):
    group = crm_group_create(crm=crm_a, name="Night shift")
    with pytest.raises(ValidationError, match="already a group"):
        crm_group_create(crm=crm_a, name="night SHIFT")
    CrmUser.objects.filter(pk=staff_a.pk).update(group=group)
    with pytest.raises(ValidationError, match="Move the 1 users"):
        crm_group_delete(crm=crm_a, group_id=group.pk)
    CrmUser.objects.filter(pk=staff_a.pk).update(group=None)
    crm_group_delete(crm=crm_a, group_id=group.pk)


def test_group_of_another_crm_cannot_be_deleted(crm_a, crm_b):
    foreign = CrmGroupFactory(crm=crm_b)
    with pytest.raises(Http404):
        crm_group_delete(crm=crm_a, group_id=foreign.pk)
