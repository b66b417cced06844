from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from portal.selectors import provider_home
from providers.selectors import provider_for_user


def root_redirect(request):
    """Staff land in the admin, everyone else in the provider portal (sign-in first)."""
    if request.user.is_authenticated and request.user.is_staff:
        return redirect("admin:index")
    return redirect("portal:home")


@login_required
def home(request):
    provider = provider_for_user(request.user)
    return render(request, "portal/home.html", {"home": provider_home(provider=provider)})
