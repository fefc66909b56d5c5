"""The editor UI: dashboard, review queue with bulk actions, and the claim page with its verdict,
publish, dismiss and edit forms. Views parse input, call one workflow or service function and
render; permissions are checked here on every request and again by the workflow."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from claims import services, ui_selectors, workflow
from claims.forms_ui import (
    BulkActionForm,
    ClaimEditForm,
    DismissFlagForm,
    PublishForm,
    QueueFilterForm,
    VerdictForm,
)
from claims.models import Claim, Flag
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
    page = Paginator(ui_selectors.queue(filters), PAGE_SIZE).get_page(request.GET.get("page"))
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
            "bulk_form": BulkActionForm() if can_bulk else None,
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
    claim = ui_selectors.claim_for_page(claim_id)
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
    get_object_or_404(Claim.objects.only("pk"), pk=claim_id)
    return _render_claim(request, claim_id)


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
