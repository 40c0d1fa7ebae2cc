"""Escalation: approvals, going live, the CRM call (phase 5), manual tasks."""
