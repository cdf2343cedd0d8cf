from celery import shared_task

from crm.selectors import crm_ids_stuck_provisioning
from crm.services import crm_provision


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def provision_crm(crm_id: int) -> None:
    crm_provision(crm_id=crm_id)


@shared_task
def requeue_stuck_provisioning() -> int:
    crm_ids = crm_ids_stuck_provisioning()
    for crm_id in crm_ids:
        provision_crm.delay(crm_id)
    return len(crm_ids)
