"""Outreach: campaigns, scheduling (phase 2), the outbox, safety limits, sending (phase 3)."""
