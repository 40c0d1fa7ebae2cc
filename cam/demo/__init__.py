"""`cam demo`'s simulation: the real cycle on a moved clock, with a scripted inbox."""
