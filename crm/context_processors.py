from django.http import HttpRequest


def tenant(request: HttpRequest) -> dict:
    """The CRM and CRM user that ``crm_view`` resolved, for every CRM template."""
    if not hasattr(request, "crm"):
        return {}
    return {"crm": request.crm, "crm_user": getattr(request, "crm_user", None)}
