"""Tasks: their services (rights, tenancy), their pages as a browser uses them,
the Tasks page's buckets, the hand-over on deactivation, the card's timeline and
the home page's dashboard."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from crm.models import ContactCompany, CrmUser, RecordChange, Task, TaskType
from crm.rights import rights_default
from crm.selectors.tasks import TaskFilters, tasks_buckets, visible_tasks
from crm.selectors.timeline import record_timeline
from crm.services.records import contact_save, deal_move, deal_save
from crm.services.tasks import (
    task_complete,
    task_create,
    task_delete,
    task_type_create,
    task_type_delete,
    task_update,
)
from crm.services.users import crm_user_deactivate
from tests.browser_forms import form_data
from tests.crm.helpers import sign_in
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    CrmUserFactory,
    DealFactory,
    PipelineStatusFactory,
    TaskFactory,
)

TOMORROW = timezone.now() + datetime.timedelta(days=1)


def own_only(crm, **kwargs):
    """A user who views and edits only their own records."""
    rights = rights_default()
    for entity in rights:
        rights[entity]["view"] = "own"
        rights[entity]["edit"] = "own"
    return CrmUserFactory(crm=crm, rights=rights, **kwargs)


def new_task(actor, **kwargs):
    data = {
        "crm": actor.crm,
        "actor": actor,
        "text": "Call about the offer",
        "type": "call",
        "due_at": TOMORROW,
        "responsible_id": actor.pk,
    }
    data.update(kwargs)
    return task_create(**data)


# --- services: rights and tenancy --------------------------------------------------


def test_a_task_on_a_deal_is_created_and_completed_with_its_result(owner_a):
    deal = DealFactory(responsible=owner_a)

    task = new_task(owner_a, entity="deal", record_id=deal.pk)
    done = task_complete(
        crm=owner_a.crm, actor=owner_a, task_id=task.pk, result="Agreed on 5%"
    )

    assert (done.deal, done.type, done.result) == (deal, "call", "Agreed on 5%")
    assert done.completed_by == owner_a and done.completed_by_name == owner_a.name
    assert done.completed_at is not None
    with pytest.raises(ValidationError, match="already completed"):
        task_complete(crm=owner_a.crm, actor=owner_a, task_id=task.pk, result="")


def test_a_task_cannot_go_on_a_record_the_actor_cannot_view(crm_a, owner_a):
    mine = own_only(crm_a)
    others = DealFactory(responsible=owner_a)

    with pytest.raises(Http404):
        new_task(mine, entity="deal", record_id=others.pk)
    assert not Task.objects.exists()


def test_a_task_needs_the_edit_right_on_its_record(crm_a, owner_a, staff_a):
    # The default rights view every deal but edit only one's own.
    others = DealFactory(responsible=owner_a)

    with pytest.raises(PermissionDenied):
        new_task(staff_a, entity="deal", record_id=others.pk)


def test_another_crms_record_type_and_user_are_404(crm_a, owner_a, staff_b):
    foreign_deal = DealFactory(responsible=staff_b)
    foreign_type = TaskType.objects.create(crm=staff_b.crm, name="Visit")
    deal = DealFactory(responsible=owner_a)

    with pytest.raises(Http404):
        new_task(owner_a, entity="deal", record_id=foreign_deal.pk)
    with pytest.raises(Http404):
        new_task(owner_a, type=str(foreign_type.pk))
    with pytest.raises(Http404):
        new_task(owner_a, entity="deal", record_id=deal.pk, responsible_id=staff_b.pk)
    assert not Task.objects.exists()


def test_another_crms_task_is_a_404_for_every_write(owner_a, staff_b):
    foreign = TaskFactory(responsible=staff_b)

    for write in (
        lambda: task_complete(
            crm=owner_a.crm, actor=owner_a, task_id=foreign.pk, result=""
        ),
        lambda: task_delete(crm=owner_a.crm, actor=owner_a, task_id=foreign.pk),
        lambda: task_update(
            crm=owner_a.crm,
            actor=owner_a,
            task_id=foreign.pk,
            text="x",
            type="call",
            due_at=TOMORROW,
            responsible_id=owner_a.pk,
        ),
    ):
        with pytest.raises(Http404):
            write()
    foreign.refresh_from_db()
    assert foreign.completed_at is None


def test_the_responsible_user_must_be_able_to_see_the_record(crm_a, owner_a):
    mine = own_only(crm_a, name="Olga Own")
    deal = DealFactory(responsible=owner_a)

    with pytest.raises(ValidationError, match="Olga Own may not see this record"):
        new_task(owner_a, entity="deal", record_id=deal.pk, responsible_id=mine.pk)


def test_tasks_are_seen_by_those_who_may_view_their_record(crm_a, owner_a):
    mine = own_only(crm_a)
    theirs = DealFactory(responsible=owner_a)
    own = DealFactory(responsible=mine)
    on_theirs = new_task(owner_a, entity="deal", record_id=theirs.pk)
    on_own = new_task(owner_a, entity="deal", record_id=own.pk, responsible_id=mine.pk)
    nowhere_mine = new_task(owner_a, responsible_id=mine.pk)
    nowhere_owners = new_task(owner_a)

    seen = set(visible_tasks(crm=crm_a, actor=mine))

    assert seen == {on_own, nowhere_mine}
    assert set(visible_tasks(crm=crm_a, actor=owner_a)) == {
        on_theirs,
        on_own,
        nowhere_mine,
        nowhere_owners,
    }
    with pytest.raises(Http404):
        task_complete(crm=crm_a, actor=mine, task_id=on_theirs.pk, result="")


def test_the_responsible_user_completes_a_task_on_a_record_they_only_view(
    crm_a, owner_a, staff_a
):
    deal = DealFactory(responsible=owner_a)
    task = new_task(
        owner_a, entity="deal", record_id=deal.pk, responsible_id=staff_a.pk
    )

    task_complete(crm=crm_a, actor=staff_a, task_id=task.pk, result="Done")
    # ...but changing or deleting it takes the edit right on the deal.
    with pytest.raises(PermissionDenied):
        task_delete(crm=crm_a, actor=staff_a, task_id=task.pk)


def test_only_admins_give_others_tasks_on_no_record(crm_a, owner_a, staff_a):
    with pytest.raises(PermissionDenied):
        new_task(staff_a, responsible_id=owner_a.pk)
    assert new_task(owner_a, responsible_id=staff_a.pk).responsible == staff_a


def test_deleting_a_record_deletes_its_tasks_and_changes(crm_a, owner_a):
    from crm.services.record_deletion import record_delete

    deal = DealFactory(responsible=owner_a)
    new_task(owner_a, entity="deal", record_id=deal.pk)
    deal_save(crm=crm_a, actor=owner_a, deal_id=deal.pk, data={"name": "Renamed"})
    kept = new_task(owner_a)

    record_delete(crm=crm_a, actor=owner_a, entity="deal", record_id=deal.pk)

    assert list(Task.objects.all()) == [kept]
    assert not RecordChange.objects.exists()


def test_a_deleted_custom_type_leaves_its_tasks_follow_ups(crm_a, owner_a, staff_a):
    visit = task_type_create(crm=crm_a, actor=owner_a, name="Visit")
    task = new_task(owner_a, type=str(visit.pk))
    assert task.type_name == "Visit"
    with pytest.raises(PermissionDenied):
        task_type_delete(crm=crm_a, actor=staff_a, task_type_id=visit.pk)
    with pytest.raises(ValidationError, match="There is a type of that name"):
        task_type_create(crm=crm_a, actor=owner_a, name="visit")

    assert task_type_delete(crm=crm_a, actor=owner_a, task_type_id=visit.pk) == 1

    task.refresh_from_db()
    assert (task.type, task.custom_type) == ("follow_up", None)


# --- the Tasks page's buckets --------------------------------------------------------


def test_the_buckets_sort_open_tasks_by_a_fixed_now(crm_a, owner_a):
    now = timezone.make_aware(datetime.datetime(2026, 3, 10, 12, 0))
    hours = datetime.timedelta(hours=1)
    overdue = TaskFactory(responsible=owner_a, due_at=now - hours)
    yesterday = TaskFactory(responsible=owner_a, due_at=now - 30 * hours)
    today = TaskFactory(responsible=owner_a, due_at=now + hours)
    tonight = TaskFactory(responsible=owner_a, due_at=now + 11 * hours)
    upcoming = TaskFactory(responsible=owner_a, due_at=now + 13 * hours)
    done = TaskFactory(
        responsible=owner_a, due_at=now - hours, completed_at=now - 2 * hours
    )

    buckets = tasks_buckets(crm=crm_a, actor=owner_a, filters=TaskFilters(), now=now)

    assert buckets.overdue == ([yesterday, overdue], 2)
    assert buckets.today == ([today, tonight], 2)
    assert buckets.upcoming == ([upcoming], 1)
    assert buckets.done == ([done], 1)


def test_the_tasks_page_filters_and_marks_overdue_in_words(
    client, crm_a, owner_a, staff_a
):
    late = TaskFactory(
        responsible=owner_a,
        text="Send the contract",
        due_at=timezone.now() - datetime.timedelta(hours=2),
    )
    TaskFactory(responsible=staff_a, text="Staff's call", type="meeting")
    sign_in(client, owner_a)
    url = reverse("crm:task_list", kwargs={"slug": crm_a.slug})

    page = client.get(url).content.decode()
    mine = client.get(url, {"responsible": owner_a.pk}).content.decode()
    meetings = client.get(url, {"type": "meeting"}).content.decode()

    assert "Send the contract" in page and "Staff&#x27;s call" in page
    assert f'id="task-{late.pk}"' in page and "task-overdue" in page
    assert "Overdue" in page  # in words, not in colour alone
    assert "Send the contract" in mine and "Staff&#x27;s call" not in mine
    assert "Send the contract" not in meetings and "Staff&#x27;s call" in meetings
    assert client.get(url, {"responsible": "x"}).status_code == 404


# --- the forms, as a browser sends them ----------------------------------------------


def test_a_task_is_added_from_the_tasks_page_on_a_deal_chosen_in_the_picker(
    admin, crm_a, owner_a, staff_a
):
    deal = DealFactory(responsible=owner_a, name="Big order")
    url = reverse("crm:task_new", kwargs={"slug": crm_a.slug})
    page = admin.get(url).content.decode()
    assert 'type="datetime-local"' in page

    response = admin.post(
        url,
        form_data(
            page,
            having="text",
            text="Prepare the offer",
            type="meeting",
            responsible=str(staff_a.pk),
            deal=str(deal.pk),
        ),
    )

    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.text, task.type, task.deal, task.responsible) == (
        "Prepare the offer",
        "meeting",
        deal,
        staff_a,
    )
    # Due by the end of today unless said otherwise.
    assert timezone.localtime(task.due_at).date() == timezone.localdate()


def test_the_task_form_refuses_two_records_and_a_missing_text(admin, crm_a, owner_a):
    deal = DealFactory(responsible=owner_a)
    contact = ContactFactory(responsible=owner_a)
    url = reverse("crm:task_new", kwargs={"slug": crm_a.slug})
    page = admin.get(url).content.decode()

    both = admin.post(
        url,
        form_data(
            page, having="text", text="x", deal=str(deal.pk), contact=str(contact.pk)
        ),
    )
    empty = admin.post(url, form_data(page, having="text", text=" "))

    assert both.status_code == 400 and "one record at most" in both.content.decode()
    assert empty.status_code == 400
    assert "Write what is to be done." in empty.content.decode()
    assert not Task.objects.exists()


def test_the_cards_quick_add_puts_a_task_due_today_on_the_record(admin, crm_a, owner_a):
    deal = DealFactory(responsible=owner_a)
    card_url = reverse(
        "crm:deal_card", kwargs={"slug": crm_a.slug, "record_id": deal.pk}
    )
    card = admin.get(card_url).content.decode()

    response = admin.post(
        reverse("crm:task_new", kwargs={"slug": crm_a.slug}),
        form_data(card, having="due_at", text="Call back"),
    )

    assert response.status_code == 302 and response.url == card_url
    task = Task.objects.get()
    assert (task.deal, task.text) == (deal, "Call back")
    assert timezone.localtime(task.due_at).date() == timezone.localdate()
    card = admin.get(card_url).content.decode()
    assert "Call back" in card


def test_a_task_is_completed_from_the_card_with_its_result(admin, crm_a, owner_a):
    contact = ContactFactory(responsible=owner_a)
    task = new_task(owner_a, entity="contact", record_id=contact.pk)
    card_url = reverse(
        "crm:contact_card", kwargs={"slug": crm_a.slug, "record_id": contact.pk}
    )
    card = admin.get(card_url).content.decode()

    response = admin.post(
        reverse("crm:task_complete", kwargs={"slug": crm_a.slug, "task_id": task.pk}),
        form_data(card, having="result", result="They will order in May"),
    )

    assert response.status_code == 302 and response.url == card_url
    task.refresh_from_db()
    assert task.result == "They will order in May" and task.completed_by == owner_a
    timeline = admin.get(card_url).content.decode()
    assert "Task completed" in timeline and "They will order in May" in timeline


def test_htmx_completion_answers_with_the_completed_task(admin, crm_a, owner_a):
    task = new_task(owner_a)
    url = reverse("crm:task_complete", kwargs={"slug": crm_a.slug, "task_id": task.pk})

    response = admin.post(url, {"result": "Done"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith("<li")
    assert "task-done" in body and "Done" in body


def test_a_task_is_edited_through_its_form(admin, crm_a, owner_a):
    visit = TaskType.objects.create(crm=crm_a, name="Visit")
    task = new_task(owner_a)
    url = reverse("crm:task_edit", kwargs={"slug": crm_a.slug, "task_id": task.pk})
    page = admin.get(url).content.decode()

    response = admin.post(
        url, form_data(page, having="text", text="Visit them", type=str(visit.pk))
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.text, task.custom_type, task.type) == ("Visit them", visit, "")


def test_task_types_are_added_on_their_settings_page(admin, crm_a):
    url = reverse("crm:task_types", kwargs={"slug": crm_a.slug})
    page = admin.get(url).content.decode()

    admin.post(url, form_data(page, having="name", name="Site visit"))
    again = admin.post(url, form_data(page, having="name", name="site VISIT"))

    assert list(TaskType.objects.values_list("name", flat=True)) == ["Site visit"]
    assert again.status_code == 400
    assert "There is a type of that name." in again.content.decode()


def test_task_types_are_for_administrators(client, crm_a, staff_a):
    sign_in(client, staff_a)
    url = reverse("crm:task_types", kwargs={"slug": crm_a.slug})
    assert client.get(url).status_code == 403


def test_a_company_is_linked_to_a_contact_from_its_card(admin, crm_a, owner_a):
    contact = ContactFactory(responsible=owner_a)
    acme = CompanyFactory(responsible=owner_a, name="Acme")
    card_url = reverse(
        "crm:contact_card", kwargs={"slug": crm_a.slug, "record_id": contact.pk}
    )
    card = admin.get(card_url).content.decode()
    action = reverse(
        "crm:contact_action",
        kwargs={"slug": crm_a.slug, "record_id": contact.pk, "action": "link"},
    )

    response = admin.post(
        action, form_data(card, having="picker_q", companies=[str(acme.pk)])
    )

    assert response.status_code == 302
    assert ContactCompany.objects.filter(contact=contact, company=acme).exists()
    assert "Acme" in admin.get(card_url).content.decode()


def test_a_contact_is_linked_to_a_company_only_among_visible_ones(
    client, crm_a, owner_a
):
    mine = own_only(crm_a)
    company = CompanyFactory(responsible=mine)
    hidden = ContactFactory(responsible=owner_a)
    sign_in(client, mine)
    action = reverse(
        "crm:company_action",
        kwargs={"slug": crm_a.slug, "record_id": company.pk, "action": "link"},
    )

    response = client.post(action, {"contacts": [str(hidden.pk)]})

    assert response.status_code == 302  # the form refuses: not a choice
    assert not ContactCompany.objects.exists()


def test_the_contacts_card_links_phone_and_email(admin, crm_a, owner_a):
    contact = ContactFactory(
        responsible=owner_a, phone="+380 44 123 45 67", email="ann@example.com"
    )
    card = admin.get(
        reverse(
            "crm:contact_card", kwargs={"slug": crm_a.slug, "record_id": contact.pk}
        )
    ).content.decode()

    assert 'href="tel:+380441234567"' in card
    assert 'href="mailto:ann@example.com"' in card


# --- the hand-over -------------------------------------------------------------------


def test_deactivation_hands_open_tasks_to_the_recipient_who_then_sees_them(
    client, crm_a, owner_a, staff_a
):
    colleague = CrmUserFactory(crm=crm_a, name="Carl Colleague")
    deal = DealFactory(responsible=staff_a)
    open_task = new_task(
        owner_a, entity="deal", record_id=deal.pk, responsible_id=staff_a.pk
    )
    done = new_task(owner_a, responsible_id=staff_a.pk)
    task_complete(crm=crm_a, actor=owner_a, task_id=done.pk, result="")

    moved = crm_user_deactivate(
        crm=crm_a, crm_user_id=staff_a.pk, recipient_id=colleague.pk, actor=owner_a
    )

    assert moved.tasks == 1
    open_task.refresh_from_db()
    done.refresh_from_db()
    assert open_task.responsible == colleague and done.responsible == staff_a
    sign_in(client, colleague)
    page = client.get(
        reverse("crm:task_list", kwargs={"slug": crm_a.slug}),
        {"responsible": colleague.pk},
    ).content.decode()
    assert open_task.text in page


def test_a_failed_deactivation_moves_no_task(crm_a, owner_a, staff_a):
    task = new_task(owner_a, responsible_id=staff_a.pk)
    DealFactory(responsible=staff_a)

    # Records need a recipient: refused, and the task stays where it was.
    with pytest.raises(ValidationError):
        crm_user_deactivate(
            crm=crm_a, crm_user_id=staff_a.pk, recipient_id=None, actor=owner_a
        )

    task.refresh_from_db()
    assert task.responsible == staff_a


# --- the timeline --------------------------------------------------------------------


def test_a_status_change_shows_from_and_to_and_who(admin, crm_a, owner_a):
    new = PipelineStatusFactory(pipeline__crm=crm_a, name="New")
    won = PipelineStatusFactory(pipeline=new.pipeline, name="Won big")
    deal = DealFactory(responsible=owner_a, status=new, pipeline=new.pipeline)

    deal_move(crm=crm_a, actor=owner_a, deal_id=deal.pk, status_id=won.pk)

    change = RecordChange.objects.get(deal=deal)
    assert (change.field, change.old, change.new) == ("status", "New", "Won big")
    assert change.actor == owner_a
    card = admin.get(
        reverse("crm:deal_card", kwargs={"slug": crm_a.slug, "record_id": deal.pk})
    ).content.decode()
    assert "New</span> → <span" in card and "Won big" in card
    assert owner_a.name in card


def test_the_record_form_records_what_it_changed(admin, crm_a, owner_a, staff_a):
    contact = contact_save(crm=crm_a, actor=owner_a, data={"name": "Ann", "phone": "1"})
    assert not RecordChange.objects.exists()  # a new record has no history yet
    url = reverse(
        "crm:contact_edit", kwargs={"slug": crm_a.slug, "record_id": contact.pk}
    )
    page = admin.get(url).content.decode()

    admin.post(
        url, form_data(page, name="Ann Lee", phone="1", responsible=str(staff_a.pk))
    )

    changes = {
        change.field: (change.old, change.new)
        for change in RecordChange.objects.filter(contact=contact)
    }
    assert changes == {
        "name": ("Ann", "Ann Lee"),
        "responsible": (owner_a.name, staff_a.name),
    }


def test_a_custom_field_change_is_named_by_the_field(crm_a, owner_a):
    from crm.models import CustomField

    size = CustomField.objects.create(
        crm=crm_a, entity="company", name="Size", type="number"
    )
    company = CompanyFactory(responsible=owner_a)

    from crm.services.records import company_save

    company_save(
        crm=crm_a,
        actor=owner_a,
        company_id=company.pk,
        data={"custom": {str(size.pk): 50}},
    )

    change = RecordChange.objects.get()
    assert (change.field, change.field_name, change.old, change.new) == (
        "custom",
        "Size",
        "",
        "50",
    )


def test_the_timeline_is_newest_first_and_names_hidden_companies_so(crm_a, owner_a):
    mine = own_only(crm_a)
    deal = DealFactory(responsible=mine)
    hidden = CompanyFactory(responsible=owner_a, name="Secret Ltd")
    base = timezone.now() - datetime.timedelta(days=1)
    deal_save(crm=crm_a, actor=owner_a, deal_id=deal.pk, data={"company_id": hidden.pk})
    RecordChange.objects.update(created_at=base)
    from crm.services.records import note_add

    note = note_add(
        crm=crm_a, actor=mine, entity="deal", record_id=deal.pk, text="First call"
    )
    note.created_at = base + datetime.timedelta(hours=1)
    note.save()
    task = new_task(mine, entity="deal", record_id=deal.pk)

    items, more = record_timeline(crm=crm_a, actor=mine, entity="deal", record=deal)

    assert [item.kind for item in items] == ["task", "note", "change"]
    assert items[0].row == task and not more
    assert items[2].new == "a company you may not see"
    owners, _more = record_timeline(
        crm=crm_a, actor=owner_a, entity="deal", record=deal
    )
    assert owners[2].new == "Secret Ltd"


def test_a_card_with_many_notes_shows_a_page_in_a_few_queries(
    admin, crm_a, owner_a, django_assert_max_num_queries
):
    from crm.models import Note

    deal = DealFactory(responsible=owner_a)
    Note.objects.bulk_create(
        Note(crm=crm_a, deal=deal, author=owner_a, text=f"Note {n}") for n in range(300)
    )
    for n in range(5):
        new_task(owner_a, entity="deal", record_id=deal.pk, text=f"Task {n}")
    url = reverse("crm:deal_card", kwargs={"slug": crm_a.slug, "record_id": deal.pk})

    with django_assert_max_num_queries(40):
        page = admin.get(url).content.decode()

    assert page.count('class="timeline-item') == 50
    assert "?timeline=100#timeline" in page
    more = admin.get(url, {"timeline": 100}).content.decode()
    assert more.count('class="timeline-item') == 100


# --- the home page -------------------------------------------------------------------


def test_home_shows_my_tasks_due_today_and_not_another_users(
    client, crm_a, owner_a, staff_a
):
    mine = new_task(owner_a, text="My call today", due_at=timezone.now())
    new_task(owner_a, text="Staff's call today", responsible_id=staff_a.pk)
    new_task(
        owner_a, text="My call next week", due_at=TOMORROW + datetime.timedelta(days=6)
    )
    sign_in(client, owner_a)

    page = client.get(reverse("crm:home", kwargs={"slug": crm_a.slug})).content.decode()

    assert "My call today" in page
    assert "Staff&#x27;s call today" not in page
    assert "My call next week" not in page
    assert f'id="task-{mine.pk}"' in page


def test_home_shows_deals_by_status_and_recent_activity_i_may_view(
    client, crm_a, owner_a
):
    mine = own_only(crm_a)
    status = PipelineStatusFactory(pipeline__crm=crm_a, name="Negotiation")
    own = DealFactory(responsible=mine, status=status, amount=1500)
    theirs = DealFactory(responsible=owner_a, status=status, amount=999)
    deal_save(crm=crm_a, actor=mine, deal_id=own.pk, data={"name": "Own renamed"})
    deal_save(crm=crm_a, actor=owner_a, deal_id=theirs.pk, data={"name": "Hidden X"})
    sign_in(client, mine)

    page = client.get(reverse("crm:home", kwargs={"slug": crm_a.slug})).content.decode()

    assert "Negotiation" in page and "1,500" in page.replace("\xa0", ",")
    assert "Own renamed" in page
    assert "Hidden X" not in page


def test_a_deactivated_users_tasks_do_not_show_on_their_colleagues_home(
    client, crm_a, owner_a
):
    other = CrmUserFactory(crm=crm_a, role=CrmUser.Role.ADMIN)
    new_task(owner_a, text="Owner only", responsible_id=owner_a.pk)
    sign_in(client, other)
    page = client.get(reverse("crm:home", kwargs={"slug": crm_a.slug})).content.decode()
    assert "Owner only" not in page


def test_the_tasks_page_reads_many_tasks_in_a_few_queries(
    admin, crm_a, owner_a, django_assert_max_num_queries
):
    visit = TaskType.objects.create(crm=crm_a, name="Visit")
    for n in range(10):
        deal = DealFactory(responsible=owner_a)
        contact = ContactFactory(responsible=owner_a)
        new_task(owner_a, entity="deal", record_id=deal.pk, text=f"Deal task {n}")
        new_task(
            owner_a,
            entity="contact",
            record_id=contact.pk,
            type=str(visit.pk),
            text=f"Contact task {n}",
        )
    url = reverse("crm:task_list", kwargs={"slug": crm_a.slug})

    with django_assert_max_num_queries(25):
        page = admin.get(url).content.decode()

    assert page.count('class="task') >= 20 and "Visit" in page


def test_the_picker_searches_deals_for_the_task_form(admin, crm_a, owner_a):
    DealFactory(responsible=owner_a, name="Annual supply")
    url = reverse("crm:record_picker", kwargs={"slug": crm_a.slug, "entity": "deal"})

    found = admin.get(url, {"field": "deal", "multiple": "0", "picker_q": "annual"})

    assert found.status_code == 200
    assert "Annual supply" in found.content.decode()
    assert "Search deals" in found.content.decode()
