import pytest

from crm.models import Contact
from crm.rights import can, rights_default, rights_summary, scope_queryset
from tests.factories import ContactFactory, CrmGroupFactory, CrmUserFactory


def user_with(crm, scope, group=None, action="edit"):
    rights = rights_default()
    rights["contact"][action] = scope
    return CrmUserFactory(crm=crm, rights=rights, group=group)


@pytest.fixture
def team(crm_a):
    group = CrmGroupFactory(crm=crm_a)
    me = user_with(crm_a, "group", group=group)
    teammate = CrmUserFactory(crm=crm_a, group=group)
    stranger = CrmUserFactory(crm=crm_a)
    return me, teammate, stranger


def test_scopes_decide_per_record(crm_a, team):
    me, teammate, stranger = team
    mine = ContactFactory(responsible=me)
    theirs = ContactFactory(responsible=teammate)
    strangers = ContactFactory(responsible=stranger)

    assert can(me, "contact", "edit", mine)
    assert can(me, "contact", "edit", theirs)
    assert not can(me, "contact", "edit", strangers)
    me.rights["contact"]["edit"] = "own"
    assert not can(me, "contact", "edit", theirs)
    me.rights["contact"]["edit"] = "none"
    assert not can(me, "contact", "edit", mine)
    assert not can(me, "contact", "edit")
    me.rights["contact"]["edit"] = "all"
    assert can(me, "contact", "edit", strangers)


def test_admins_and_owner_can_everything_and_inactive_users_nothing(crm_a, staff_a):
    admin = CrmUserFactory(
        crm=crm_a, role="admin", rights={"contact": {"delete": "none"}}
    )
    record = ContactFactory(responsible=staff_a)
    assert can(admin, "contact", "delete", record)
    admin.is_active = False
    assert not can(admin, "contact", "view", record)


def test_record_of_another_crm_is_never_allowed_by_own_or_group(crm_a, crm_b, staff_b):
    me = user_with(crm_a, "own")
    foreign = ContactFactory(responsible=staff_b)
    foreign.responsible_id = me.pk  # even a forged responsible does not cross CRMs
    assert not can(me, "contact", "edit", foreign)


def test_scope_queryset_filters_in_the_database(crm_a, crm_b, team, staff_b):
    me, teammate, stranger = team
    ContactFactory(responsible=me)
    ContactFactory(responsible=teammate)
    ContactFactory(responsible=stranger)
    ContactFactory(responsible=staff_b)

    visible = scope_queryset(me, "contact", "edit", Contact.objects.all())
    assert {c.responsible_id for c in visible} == {me.pk, teammate.pk}
    everything = scope_queryset(
        CrmUserFactory(crm=crm_a, role="admin"),
        "contact",
        "view",
        Contact.objects.all(),
    )
    assert everything.count() == 3  # never the other CRM's


def test_summary_reads_well(crm_a):
    assert rights_summary(CrmUserFactory(crm=crm_a, role="admin")) == "Full access"
    assert rights_summary(CrmUserFactory(crm=crm_a)) == "Standard"
    custom = user_with(crm_a, "all", action="delete")
    assert "Contacts: view all" in rights_summary(custom)
    assert "delete all" in rights_summary(custom)
