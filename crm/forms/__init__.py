"""Django forms of the CRM pages, one module per domain."""
