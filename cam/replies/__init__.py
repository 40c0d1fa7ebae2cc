"""Replies: reading, parsing, classifying and acting on them (phase 4), unsubscribe."""
