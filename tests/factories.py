"""factory_boy factories for the claims models; tests build only what they need."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from claims.models import Actor, Appearance, Claim, Flag, Quantity, Review, Source


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor

    slug = factory.Sequence(lambda n: f"actor-{n}")
    name = factory.Sequence(lambda n: f"Actor {n}")
    kind = Actor.Kind.MEDIA


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    slug = factory.Sequence(lambda n: f"source-{n}")
    publisher = factory.SubFactory(ActorFactory)
    title = factory.Sequence(lambda n: f"Story {n}")


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    slug = factory.Sequence(lambda n: f"claim-{n}")
    claimant = factory.SubFactory(ActorFactory, kind=Actor.Kind.MILITARY)
    text = "أعلنت القيادة المركزية تدمير أكثر من 15 موقعًا"
    text_en = "CENTCOM announced the destruction of more than 15 sites"


class AppearanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appearance

    claim = factory.SubFactory(ClaimFactory)
    source = factory.SubFactory(SourceFactory)


class QuantityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quantity

    claim = factory.SubFactory(ClaimFactory)
    item = "weapons storage sites"
    low = 16
    high = None
    qualifier = "أكثر من"


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    claim = factory.SubFactory(ClaimFactory)
    verdict = Claim.Verdict.LIKELY_TRUE
    rationale = "Matches the CENTCOM release."
    reviewer = factory.SubFactory(UserFactory)


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    kind = Flag.Kind.SINGLE_ROOT
    fingerprint = factory.Sequence(lambda n: f"{n:064x}")
    detail = "Four outlets, one wire story."
