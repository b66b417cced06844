"""The providers app's admin: the registry, and the lifecycle (criteria, applications, decisions,
appeals, rectification)."""

from providers.admin import lifecycle, registry, sla

__all__ = ["lifecycle", "registry", "sla"]
