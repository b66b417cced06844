"""Which of the program's two languages a page is read in: Chinese first, English second."""

from django.utils.translation import get_language


def english_active() -> bool:
    """Whether the active language is English; Chinese (zh-hans) otherwise."""
    return (get_language() or "").startswith("en")


def in_active_language(chinese, english):
    """The one of a stored pair of names that the active language reads: the Chinese where no
    English is given."""
    return english if english_active() and english else chinese
