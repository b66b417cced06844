"""Reads for the staff pages: the dashboard, providers and their timeline, the review queues."""
