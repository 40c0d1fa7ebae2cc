"""Gateways to mail, CRM and manual-task channels, behind the protocols in `base`."""
