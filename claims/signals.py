"""Saving what a check depends on asks for a check of that claim (through the outbox)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from claims.models import Appearance, Claim, PendingCheck, Quantity
from claims.verification import request_check


@receiver(post_save, sender=Claim, dispatch_uid="check-claim-on-save")
def claim_saved(sender: type[Claim], instance: Claim, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # fixtures loading raw rows must not touch the outbox
        request_check(instance.pk)


def _deleting_the_claim(origin: Any, claim_id: int) -> bool:
    """Whether this delete started from the claim itself (claim.delete() or a queryset of
    claims): its appearances and quantities go first, and a check asked for then would outlive
    the claim."""
    if isinstance(origin, Claim):
        return bool(origin.pk == claim_id)
    if isinstance(origin, QuerySet) and origin.model is Claim:
        # The claims are deleted after their parts, so the queryset still finds them here.
        return bool(origin.filter(pk=claim_id).exists())
    return False


@receiver(post_save, sender=Appearance, dispatch_uid="check-claim-on-appearance-save")
@receiver(post_save, sender=Quantity, dispatch_uid="check-claim-on-quantity-save")
@receiver(post_delete, sender=Appearance, dispatch_uid="check-claim-on-appearance-delete")
@receiver(post_delete, sender=Quantity, dispatch_uid="check-claim-on-quantity-delete")
def part_changed(
    sender: Any, instance: Appearance | Quantity, raw: bool = False, **kwargs: Any
) -> None:
    if raw or _deleting_the_claim(kwargs.get("origin"), instance.claim_id):
        return
    if Claim.objects.filter(pk=instance.claim_id).exists():
        request_check(instance.claim_id)


@receiver(post_delete, sender=Claim, dispatch_uid="forget-check-of-deleted-claim")
def claim_deleted(sender: type[Claim], instance: Claim, **kwargs: Any) -> None:
    # Whatever deleted the claim (a cascade from elsewhere included), an outbox row asked for
    # during the delete would point at a claim that no longer exists: PostgreSQL checks that
    # foreign key at COMMIT and would refuse the whole transaction.
    PendingCheck.objects.filter(claim_id=instance.pk).delete()


@receiver(m2m_changed, sender=Claim.places.through, dispatch_uid="check-claim-on-places")
def places_changed(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    if action.startswith("post_") and not reverse and isinstance(instance, Claim):
        request_check(instance.pk)
