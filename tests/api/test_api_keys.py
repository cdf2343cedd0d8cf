def test_creating_and_revoking_keys_is_audited(crm_a):
    from crm.models import AuditEvent, CrmUser
    from crm.services.apikeys import api_key_create, api_key_revoke

    owner = CrmUser.objects.get(crm=crm_a, role="owner")
    key, _raw = api_key_create(crm=crm_a, name="Shop sync", created_by=owner)
    api_key_revoke(crm=crm_a, api_key_id=key.pk, actor=owner)
    api_key_revoke(crm=crm_a, api_key_id=key.pk, actor=owner)  # no second event
    actions = list(
        AuditEvent.objects.filter(crm=crm_a, action__startswith="api_key.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["api_key.created", "api_key.revoked"]
