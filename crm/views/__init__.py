"""The pages of a CRM, one module per domain; crm/urls.py lists every route."""
