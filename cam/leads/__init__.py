"""Leads in: CSV import, row checks, qualification and scoring (phase 1)."""
