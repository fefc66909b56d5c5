"""The editor UI: dashboard, review queue with bulk actions, the claim page with its verdict,
publish, dismiss and edit forms, the actor, event and source pages, and ingestion with its
progress and the proposed claims to correct, accept or reject. Views parse input, call one
workflow or service function and render; permissions are checked here on every request and
again by the workflow."""

from __future__ import annotations

import uuid
from typing import Any

import redis
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from kombu.exceptions import OperationalError

from claims import proposals, services, ui_selectors, workflow
from claims.forms_ui import (
    BulkActionForm,
    ClaimEditForm,
    DismissFlagForm,
    IngestForm,
    ProposalForm,
    PublishForm,
    QueueFilterForm,
    VerdictForm,
)
from claims.models import Actor, Claim, Event, Flag, Source
from claims.templatetags.claims_ui import label_for

PAGE_SIZE = 50

# The workflow's fixed refusals, listed so that makemessages offers them for translation.
WORKFLOW_MESSAGES = (
    gettext_noop("A rationale is required."),
    gettext_noop("A reason for dismissing the flag is required."),
    gettext_noop("Four eyes: a review must be published by someone other than its author."),
    gettext_noop("This review is already published."),
    gettext_noop("A newer review of this claim exists; publish that one instead."),
    gettext_noop("Claims are published by publishing their review."),
    gettext_noop("Some of the selected claims no longer exist; reload the page."),
    gettext_noop("This flag is already dismissed."),
    gettext_noop("You are not allowed to record a verdict."),
    gettext_noop("You are not allowed to publish verdicts."),
    gettext_noop("You are not allowed to change claims."),
    gettext_noop("You are not allowed to assign claims."),
    gettext_noop("You are not allowed to dismiss flags."),
    gettext_noop("A reason is required for every change to a claim."),
)


def _refusal(exc: Exception) -> str:
    """The refusal in the reader's language when we have it translated, as written otherwise."""
    text = str(exc.messages[0] if isinstance(exc, ValidationError) else exc)
    return _(text)


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _claim_url(claim_id: int) -> str:
    return reverse("claims:claim", args=[claim_id])


# --- Dashboard -----------------------------------------------------------------------------


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _require(request, "claims.view_claim")
    return render(request, "claims/dashboard.html", {"board": ui_selectors.dashboard(request.user)})


# --- Review queue --------------------------------------------------------------------------


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    _require(request, "claims.view_claim")
    filter_form = QueueFilterForm(request.GET or None)
    filters = filter_form.filters() if filter_form.is_bound else ui_selectors.QueueFilters()
    page = ui_selectors.with_flag_badges(
        Paginator(ui_selectors.queue(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    )
    query = request.GET.copy()
    query.pop("page", None)
    can_bulk = request.user.has_perm("claims.change_claim")
    return render(
        request,
        "claims/queue.html",
        {
            "filter_form": filter_form,
            "page": page,
            "query": query.urlencode(),
            # Its own ids: the filter form above also has a "state" field.
            "bulk_form": BulkActionForm(auto_id="bulk_%s") if can_bulk else None,
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
        },
    )


def _back_to_queue(request: HttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("claims:queue")
    return redirect(target)


@require_POST
@login_required
def bulk_action(request: HttpRequest) -> HttpResponse:
    _require(request, "claims.change_claim")
    form = BulkActionForm(request.POST)
    claim_ids = [int(v) for v in request.POST.getlist("claims") if v.isdigit()]
    if not claim_ids:
        messages.error(request, _("Select at least one claim."))
        return _back_to_queue(request)
    if not form.is_valid():
        messages.error(request, _("The action could not be read; nothing was changed."))
        return _back_to_queue(request)
    try:
        if form.cleaned_data["action"] == BulkActionForm.ASSIGN:
            count = workflow.assign(
                claim_ids=claim_ids, assignee=form.cleaned_data["assignee"], by=request.user
            )
        else:
            count = workflow.set_state(
                claim_ids=claim_ids,
                state=form.cleaned_data["state"],
                rationale=form.cleaned_data["rationale"],
                by=request.user,
            )
    except workflow.WorkflowError as exc:
        messages.error(request, _refusal(exc) + " " + _("Nothing was changed."))
    else:
        messages.success(request, _("%(count)d claims updated.") % {"count": count})
    return _back_to_queue(request)


# --- Claim page ----------------------------------------------------------------------------


def _render_claim(
    request: HttpRequest,
    claim_id: int,
    *,
    status: int = 200,
    edit_form: ClaimEditForm | None = None,
    verdict_form: VerdictForm | None = None,
    dismiss_forms: dict[int, DismissFlagForm] | None = None,
    conflict: list[dict[str, Any]] | None = None,
    error: str = "",
) -> HttpResponse:
    try:
        claim = ui_selectors.claim_for_page(claim_id)
    except Claim.DoesNotExist:
        raise Http404 from None
    user = request.user
    reviews = ui_selectors.reviews(claim_id)
    latest = reviews[0] if reviews else None
    flags = ui_selectors.open_flags(claim_id)
    dismiss_forms = dismiss_forms or {}
    for view in flags:
        view.dismiss_form = dismiss_forms.get(  # type: ignore[attr-defined]
            view.flag.pk, DismissFlagForm(prefix=f"flag{view.flag.pk}")
        )
    context = {
        "claim": claim,
        "chain": ui_selectors.chain_view(claim),
        "track_record": ui_selectors.track_record(claim.claimant_id),
        "flags": flags,
        "history": ui_selectors.claim_history(claim_id),
        "reviews": reviews,
        "publishable": latest if latest is not None and not latest.published else None,
        "can_edit": user.has_perm("claims.change_claim"),
        "can_review": user.has_perm("claims.add_review"),
        "can_publish": user.has_perm("claims.publish_review"),
        "can_dismiss": user.has_perm("claims.change_flag"),
        "edit_form": edit_form or ClaimEditForm.for_claim(claim),
        "verdict_form": verdict_form
        or VerdictForm(initial={"verdict": claim.verdict, "version": claim.version}),
        "conflict": conflict,
        "error": error,
    }
    return render(request, "claims/claim.html", context, status=status)


@require_GET
@login_required
def claim_page(request: HttpRequest, claim_id: int) -> HttpResponse:
    _require(request, "claims.view_claim")
    return _render_claim(request, claim_id)  # 404 from claim_for_page


@require_POST
@login_required
def record_verdict(request: HttpRequest, claim_id: int) -> HttpResponse:
    _require(request, "claims.add_review")
    get_object_or_404(Claim.objects.only("pk"), pk=claim_id)
    form = VerdictForm(request.POST)
    if not form.is_valid():
        return _render_claim(
            request, claim_id, status=400, verdict_form=form, error=_("Check the verdict form.")
        )
    try:
        workflow.record_review(
            claim_id=claim_id,
            verdict=form.cleaned_data["verdict"],
            rationale=form.cleaned_data["rationale"],
            evidence_links=form.links(),
            language=request.LANGUAGE_CODE if request.LANGUAGE_CODE in ("ar", "en") else "en",
            expected_version=form.cleaned_data["version"],
            by=request.user,
        )
    except workflow.WorkflowError as exc:
        return _render_claim(request, claim_id, status=400, verdict_form=form, error=_refusal(exc))
    messages.success(request, _("Verdict recorded; a reviewer can now publish it."))
    return redirect(_claim_url(claim_id))


@require_POST
@login_required
def publish(request: HttpRequest, claim_id: int) -> HttpResponse:
    _require(request, "claims.publish_review")
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _render_claim(request, claim_id, status=400, error=_("No review to publish."))
    get_object_or_404(Claim.objects.filter(reviews=form.cleaned_data["review"]), pk=claim_id)
    try:
        workflow.publish_review(review_id=form.cleaned_data["review"], by=request.user)
    except workflow.WorkflowError as exc:
        return _render_claim(request, claim_id, status=400, error=_refusal(exc))
    messages.success(request, _("Verdict published."))
    return redirect(_claim_url(claim_id))


@require_POST
@login_required
def dismiss_flag(request: HttpRequest, claim_id: int, flag_id: int) -> HttpResponse:
    _require(request, "claims.change_flag")
    get_object_or_404(Flag.objects.filter(claims=claim_id), pk=flag_id)
    form = DismissFlagForm(request.POST, prefix=f"flag{flag_id}")
    form.is_valid()
    try:
        workflow.dismiss_flag(
            flag_id=flag_id, reason=form.cleaned_data.get("reason", ""), by=request.user
        )
    except workflow.WorkflowError as exc:
        return _render_claim(
            request, claim_id, status=400, dismiss_forms={flag_id: form}, error=_refusal(exc)
        )
    messages.success(request, _("Flag dismissed."))
    return redirect(_claim_url(claim_id))


def _what_changed(claim: Claim, theirs: dict[str, Any], version: int) -> list[dict[str, Any]]:
    """Field by field: the value when the editor loaded the claim, the value now, and theirs."""
    loaded = ui_selectors.claim_as_of_version(claim.pk, version)

    def shown(name: str, value: Any) -> str:
        if value is None:
            return ""
        if name == "stance":
            return str(label_for("stance", value))
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    rows = []
    for name in ClaimEditForm.FIELDS:
        now = getattr(claim, name)
        then = getattr(loaded, name) if loaded is not None else None
        rows.append(
            {
                "field": label_for("field", name),
                "then": shown(name, then),
                "now": shown(name, now),
                "theirs": shown(name, theirs.get(name)),
                "changed": loaded is not None and then != now,
            }
        )
    return rows


@require_POST
@login_required
def edit_claim(request: HttpRequest, claim_id: int) -> HttpResponse:
    _require(request, "claims.change_claim")
    get_object_or_404(Claim.objects.only("pk"), pk=claim_id)
    form = ClaimEditForm(request.POST, prefix="edit")
    if not form.is_valid():
        return _render_claim(
            request, claim_id, status=400, edit_form=form, error=_("Check the edit form.")
        )
    editor = request.user
    if not isinstance(editor, AbstractBaseUser):  # login_required made sure; this tells mypy
        raise PermissionDenied
    try:
        services.update_claim(
            claim_id=claim_id,
            expected_version=form.cleaned_data["version"],
            changes=form.changes(),
            by=editor,
            reason=form.cleaned_data["reason"],
        )
    except services.StaleVersion as stale:
        # Keep everything they typed, but carry the current version: saving again after reading
        # what changed is then a deliberate choice.
        data = request.POST.copy()
        data["edit-version"] = str(stale.claim.version)
        return _render_claim(
            request,
            claim_id,
            status=409,
            edit_form=ClaimEditForm(data, prefix="edit"),
            conflict=_what_changed(stale.claim, form.changes(), stale.expected),
            error=_(
                "Someone else saved this claim after you opened it. Nothing of yours was saved; "
                "compare the values below, then save again to keep yours."
            ),
        )
    except (ValueError, ValidationError) as exc:
        return _render_claim(request, claim_id, status=400, edit_form=form, error=_refusal(exc))
    messages.success(request, _("Claim saved."))
    return redirect(_claim_url(claim_id))


# --- Actor, event and source pages ---------------------------------------------------------


@require_GET
@login_required
def actor_page(request: HttpRequest, key: str) -> HttpResponse:
    _require(request, "claims.view_actor")
    _require(request, "claims.view_claim")
    try:
        actor = ui_selectors.actor_by_key(key)
    except Actor.DoesNotExist:
        raise Http404 from None
    page = ui_selectors.with_flag_badges(
        Paginator(ui_selectors.actor_claims(actor.pk), PAGE_SIZE).get_page(request.GET.get("page"))
    )
    return render(
        request,
        "claims/actor.html",
        {
            "actor": actor,
            "ancestors": ui_selectors.actor_ancestors(actor),
            "children": ui_selectors.actor_children(actor.pk),
            "shares": ui_selectors.verdict_shares(actor.pk),
            "page": page,
        },
    )


@require_GET
@login_required
def event_page(request: HttpRequest, event_id: int) -> HttpResponse:
    _require(request, "claims.view_event")
    _require(request, "claims.view_claim")
    try:
        event = ui_selectors.event_for_page(event_id)
    except Event.DoesNotExist:
        raise Http404 from None
    return render(
        request, "claims/event.html", {"event": event, "rows": ui_selectors.event_rows(event_id)}
    )


@require_GET
@login_required
def source_page(request: HttpRequest, source_id: int) -> HttpResponse:
    _require(request, "claims.view_source")
    try:
        view = ui_selectors.source_page(source_id)
    except Source.DoesNotExist:
        raise Http404 from None
    has_proposals = any(a.claim.state == Claim.State.NEW for a in view.appearances)
    return render(
        request,
        "claims/source.html",
        {
            "view": view,
            "source": view.source,
            "can_review_proposals": has_proposals and request.user.has_perm("claims.change_claim"),
        },
    )


# --- Ingest --------------------------------------------------------------------------------

INGEST_PERMISSIONS = ("claims.add_source", "claims.add_claim")
SESSION_TICKETS = "ingest_tickets"
KEPT_TICKETS = 20

# The ingestion's fixed refusals, listed so that makemessages offers them for translation.
INGEST_MESSAGES = (
    gettext_noop("The text is empty."),
    gettext_noop("The text is larger than 5 MB."),
    gettext_noop("The content is binary, not text."),
    gettext_noop("The language could not be recognised: give --language ar or en."),
    gettext_noop("The ingest task failed; try again or ask an admin."),
    gettext_noop("The stored source no longer exists."),
    gettext_noop("Paste a text or give a URL to fetch, not both."),
    gettext_noop("This URL is already stored with a different text; re-check the source instead."),
    gettext_noop("The task queue cannot be reached; nothing was stored. Try again in a minute."),
    gettext_noop("This proposal no longer exists; reload the page."),
    gettext_noop("This claim was already accepted; edit it on its own page."),
    gettext_noop("A source cannot cite itself."),
    gettext_noop("There is no proposal left to accept."),
    gettext_noop("Some of these proposals were already accepted; reload the page."),
    gettext_noop("A reason is required to reject a proposal."),
    gettext_noop("Only proposals not yet accepted can be rejected."),
    gettext_noop("Only claims proposed by ingestion can be rejected."),
)


def _require_all(request: HttpRequest, perms: tuple[str, ...]) -> None:
    if not request.user.has_perms(perms):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
@login_required
def ingest(request: HttpRequest) -> HttpResponse:
    _require_all(request, INGEST_PERMISSIONS)
    form = IngestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = proposals.start_ingest(
                    by=request.user,
                    text=data["text"],
                    fetch_url=data["fetch_url"],
                    url=data["url"],
                    publisher=data["publisher"],
                    published=data["published"],
                    language=data["language"],
                )
            except proposals.ProposalError as exc:
                form.add_error(None, _refusal(exc))
                status = 503 if isinstance(exc, proposals.QueueUnavailable) else 400
            else:
                tickets = request.session.get(SESSION_TICKETS, {})
                tickets[ticket.task_id] = ticket.as_dict()
                # Keep the newest few: the result store forgets tasks after an hour anyway.
                request.session[SESSION_TICKETS] = dict(list(tickets.items())[-KEPT_TICKETS:])
                return redirect(reverse("claims:ingest_status", args=[ticket.task_id]))
    return render(request, "claims/ingest.html", {"form": form}, status=status)


@require_GET
@login_required
def ingest_status(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    """The progress page of one ingest, and (with ?partial=1) the fragment ui.js polls."""
    _require_all(request, INGEST_PERMISSIONS)
    tickets = request.session.get(SESSION_TICKETS, {})
    ticket = tickets.get(str(task_id))
    if ticket is None:
        # Celery cannot tell a mistyped id from a queued task: only the session's own count.
        raise Http404
    status = 200
    try:
        progress = ui_selectors.ingest_progress(str(task_id), kind=ticket["kind"])
    except (OperationalError, redis.RedisError):
        progress = ui_selectors.IngestProgress(
            "failed",
            [],
            error="The task queue cannot be reached; nothing was stored. Try again in a minute.",
        )
        status = 503
    context = {
        "progress": progress,
        "ticket": ticket,
        "task_id": str(task_id),
        "error": _(progress.error) if progress.error else "",
    }
    if request.GET.get("partial"):
        return render(request, "claims/_ingest_status.html", context, status=status)
    return render(request, "claims/ingest_status.html", context, status=status)


# --- Proposals -----------------------------------------------------------------------------


def _render_proposals(
    request: HttpRequest,
    source: Source,
    *,
    status: int = 200,
    bound: ProposalForm | None = None,
    error: str = "",
    error_claim: int | None = None,
) -> HttpResponse:
    claims = ui_selectors.proposals_of_source(source.pk)
    actors, places = ui_selectors.actor_options(), ui_selectors.place_options()
    pending, accepted = [], []
    for claim in claims:
        if claim.state != Claim.State.NEW:
            accepted.append(claim)
            continue
        form = (
            bound
            if bound is not None and bound.prefix == f"p{claim.pk}"
            else ProposalForm.for_claim(claim, actors=actors, places=places)
        )
        pending.append((claim, form))
    return render(
        request,
        "claims/proposals.html",
        {
            "source": source,
            "pending": pending,
            "rejectable": ui_selectors.proposed_by_ingestion([c.pk for c, _ in pending]),
            "accepted": accepted,
            "error": error,
            "error_claim": error_claim,
        },
        status=status,
    )


@require_GET
@login_required
def proposals_page(request: HttpRequest, source_id: int) -> HttpResponse:
    _require(request, "claims.change_claim")
    source = get_object_or_404(Source.objects.select_related("publisher"), pk=source_id)
    return _render_proposals(request, source)


def _proposals_url(source_id: int, claim_id: int | None = None) -> str:
    url = reverse("claims:proposals", args=[source_id])
    return f"{url}#proposal-{claim_id}" if claim_id else url


@require_POST
@login_required
def proposal_action(request: HttpRequest, source_id: int, claim_id: int) -> HttpResponse:
    """Save, accept or reject one proposed claim (the button pressed says which)."""
    _require(request, "claims.change_claim")
    source = get_object_or_404(Source.objects.select_related("publisher"), pk=source_id)
    get_object_or_404(Claim.objects.filter(appearances__source=source).only("pk"), pk=claim_id)
    action = request.POST.get("action", ProposalForm.SAVE)
    if action == ProposalForm.REJECT:
        try:
            proposals.reject_proposal(
                claim_id=claim_id,
                reason=request.POST.get(f"p{claim_id}-reason", ""),
                by=request.user,
            )
        except (proposals.ProposalError, workflow.WorkflowError) as exc:
            form = ProposalForm(
                request.POST,
                prefix=f"p{claim_id}",
                actors=ui_selectors.actor_options(),
                places=ui_selectors.place_options(),
            )
            form.is_valid()
            return _render_proposals(
                request, source, status=400, bound=form, error=_refusal(exc), error_claim=claim_id
            )
        messages.success(request, _("Proposal rejected; it stays in the history."))
        return redirect(_proposals_url(source_id))
    form = ProposalForm(
        request.POST,
        prefix=f"p{claim_id}",
        actors=ui_selectors.actor_options(),
        places=ui_selectors.place_options(),
    )
    if not form.is_valid():
        return _render_proposals(
            request,
            source,
            status=400,
            bound=form,
            error=_("Check the proposal form."),
            error_claim=claim_id,
        )
    try:
        proposals.update_proposal(
            claim_id=claim_id,
            source_id=source_id,
            expected_version=form.cleaned_data["version"],
            edit=form.edit(),
            reason=form.cleaned_data["reason"],
            by=request.user,
            accept=action == ProposalForm.ACCEPT,
        )
    except services.StaleVersion as stale:
        # Keep what they typed but carry the current version: saving again is deliberate.
        data = request.POST.copy()
        data[f"p{claim_id}-version"] = str(stale.claim.version)
        again = ProposalForm(
            data,
            prefix=f"p{claim_id}",
            actors=ui_selectors.actor_options(),
            places=ui_selectors.place_options(),
        )
        again.is_valid()
        return _render_proposals(
            request,
            source,
            status=409,
            bound=again,
            error=_(
                "Someone else saved this claim after you opened it. Nothing of yours was saved; "
                "compare the values below, then save again to keep yours."
            ),
            error_claim=claim_id,
        )
    except (proposals.ProposalError, workflow.WorkflowError) as exc:
        return _render_proposals(
            request, source, status=400, bound=form, error=_refusal(exc), error_claim=claim_id
        )
    if action == ProposalForm.ACCEPT:
        messages.success(request, _("Claim accepted; it is now in review."))
    else:
        messages.success(request, _("Claim saved."))
    return redirect(_proposals_url(source_id, claim_id))


@require_POST
@login_required
def accept_all(request: HttpRequest, source_id: int) -> HttpResponse:
    _require(request, "claims.change_claim")
    source = get_object_or_404(Source, pk=source_id)
    claim_ids = [int(v) for v in request.POST.getlist("claims") if v.isdigit()]
    try:
        count = proposals.accept_proposals(claim_ids=claim_ids, by=request.user)
    except (proposals.ProposalError, workflow.WorkflowError) as exc:
        messages.error(request, _refusal(exc) + " " + _("Nothing was changed."))
        return redirect(_proposals_url(source.pk))
    messages.success(
        request, _("%(count)d claims accepted; they are now in review.") % {"count": count}
    )
    return redirect(_proposals_url(source.pk))
