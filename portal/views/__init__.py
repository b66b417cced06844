"""The portal's pages, one module per area; each view is thin and calls selectors and services."""
