"""Saving what a check depends on asks for a check of that claim (through the outbox)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from claims.models import Appearance, Claim, Quantity
from claims.verification import request_check


@receiver(post_save, sender=Claim, dispatch_uid="check-claim-on-save")
def claim_saved(sender: type[Claim], instance: Claim, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # fixtures loading raw rows must not touch the outbox
        request_check(instance.pk)


@receiver(post_save, sender=Appearance, dispatch_uid="check-claim-on-appearance-save")
@receiver(post_save, sender=Quantity, dispatch_uid="check-claim-on-quantity-save")
@receiver(post_delete, sender=Appearance, dispatch_uid="check-claim-on-appearance-delete")
@receiver(post_delete, sender=Quantity, dispatch_uid="check-claim-on-quantity-delete")
def part_changed(
    sender: Any, instance: Appearance | Quantity, raw: bool = False, **kwargs: Any
) -> None:
    if not raw and Claim.objects.filter(pk=instance.claim_id).exists():
        request_check(instance.claim_id)


@receiver(m2m_changed, sender=Claim.places.through, dispatch_uid="check-claim-on-places")
def places_changed(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    if action.startswith("post_") and not reverse and isinstance(instance, Claim):
        request_check(instance.pk)
