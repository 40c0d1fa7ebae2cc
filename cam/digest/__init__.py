"""The daily digest: the team's day (a week on Mondays) counted, charted and queued for Slack."""
