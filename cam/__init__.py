"""CAM Orchestrator's engine: the daily client-acquisition cycle, with no Slack in it.

The package imports nothing itself: `cam --version`, or a command that only reads the
database, should not pay for loading the whole engine (`cam.cycle` has the cycle).
"""
