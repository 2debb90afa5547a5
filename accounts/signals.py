"""Status follows the evidence: any change to a user's email addresses re-checks their roles.

Connected to the EmailAddress model itself rather than to allauth's ``email_removed`` /
``email_changed`` / ``email_confirmed`` signals, because those fire only on allauth's own
pages: a moderator deleting an address in admin, or code removing one, must end the
user's powers just the same. allauth's pages save and delete EmailAddress rows too, so
they are covered. The rule itself is ``accounts.services.user_evidence_changed``.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts import services
from accounts.models import User


@receiver(post_save, sender=EmailAddress, dispatch_uid="accounts.email_address_saved")
def _address_saved(sender, instance: EmailAddress, raw: bool = False, **kwargs) -> None:
    if raw:  # loaddata: the rows are what they are
        return
    services.user_evidence_changed(user=instance.user)


@receiver(post_delete, sender=EmailAddress, dispatch_uid="accounts.email_address_deleted")
def _address_deleted(sender, instance: EmailAddress, origin=None, **kwargs) -> None:
    if isinstance(origin, User) or getattr(origin, "model", None) is User:
        return  # the user is being deleted with their addresses
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        services.user_evidence_changed(user=user)
