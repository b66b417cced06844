"""Staff decisions made in one step or on many providers at once, through the apps' services."""
