"""A CRM user linked to an Account enters its CRM through the portal only: the
password it was given (the owner's copy of the Account's hash, or the one it had
before connecting) stops working, and so do the reset links asked for against it.
Their CRM sessions opened with it end, as the session hash covers the password."""

from django.contrib.auth.hashers import make_password
from django.db import migrations


def linked_users_passwords_unusable(apps, schema_editor):
    CrmUser = apps.get_model("crm", "CrmUser")
    PasswordResetToken = apps.get_model("crm", "PasswordResetToken")
    linked = CrmUser.objects.filter(account__isnull=False)
    PasswordResetToken.objects.filter(crm_user__in=linked).delete()
    # One unusable hash per user, as make_password(None) gives: each is random.
    for crm_user in linked.only("pk").iterator(chunk_size=1000):
        CrmUser.objects.filter(pk=crm_user.pk).update(password=make_password(None))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0014_password_reset"),
    ]

    operations = [
        # Backwards leaves the passwords unusable: the old ones are not kept.
        migrations.RunPython(
            linked_users_passwords_unusable, migrations.RunPython.noop
        ),
    ]
