"""Writes to CRMs and their data, one module per domain. Views, forms and tasks
call these functions; no business rule lives anywhere else."""
