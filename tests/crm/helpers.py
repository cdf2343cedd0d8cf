"""What the CRM tests do alike."""

from tests.factories import DEFAULT_PASSWORD


def sign_in(client, crm_user):
    """Sign ``crm_user`` in through their CRM's login page."""
    client.post(
        f"/c/{crm_user.crm.slug}/login/",
        {"email": crm_user.email, "password": DEFAULT_PASSWORD},
    )
    return client
