"""The program's lifecycle durations, in days; one place, read by services and selectors."""

PROBATION_DAYS = 90  # 考察期
RECTIFICATION_DAYS = 30  # 整改期
APPEAL_DAYS = 7  # a warning, rectification or exit may be appealed within this many days
REAPPLY_COOL_DOWN_DAYS = 90  # after a rejection (or an exit) before applying again
