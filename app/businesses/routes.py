from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.businesses.forms import BusinessProfileForm, ClaimForm, NewBusinessForm
from app.businesses.services import (
    AlreadyClaimed,
    business_by_slug,
    claim_business,
    create_business,
    directory_categories,
    profile_form_data,
    search_directory,
    update_profile,
)
from app.inputs import page_number
from app.teams.access import businesses_for
from app.web import owned_business_or_404, render_partial_or_page

bp = Blueprint("businesses", __name__)


@bp.get("/directory")
def directory():
    query = request.args.get("q", "")
    category = request.args.get("category", "")
    page = request.args.get("page", 1, type=page_number)
    results, total = search_directory(query, category, page)
    return render_partial_or_page(
        "businesses/directory.html",
        "businesses/_directory_results.html",
        results=results,
        total=total,
        query=query,
        category=category,
        page=page,
        categories=directory_categories(),
    )


@bp.get("/b/<slug>")
def public_page(slug: str):
    """The business's public AlphaSite page, with its chat launcher once claimed."""
    from app.chat.turns import chat_coordinator_id
    from app.chat.widgets import widget_for

    business = business_by_slug(slug)
    if business is None:
        abort(404)
    widget = widget_for(business) if business.is_claimed else None
    return render_template("businesses/public_page.html", business=business, widget=widget,
                           live=chat_coordinator_id(business) is not None)


@bp.get("/directory/<slug>")
def listing(slug: str):
    business = business_by_slug(slug)
    if business is None:
        abort(404)
    return render_template("businesses/listing.html", business=business, form=ClaimForm(formdata=None))


@bp.post("/directory/<slug>/claim")
@login_required
def claim(slug: str):
    business = business_by_slug(slug)
    if business is None:
        abort(404)
    form = ClaimForm()
    if not business.is_claimed and not form.validate_on_submit():
        return render_template("businesses/listing.html", business=business, form=form), 422
    try:
        claim_business(business, current_user, timezone=form.timezone.data)
    except AlreadyClaimed:
        flash("This business has already been claimed by its owner.", "error")
        return render_template("businesses/listing.html", business=business, form=form), 409
    flash(f"You now manage {business.name}. Check your profile, then pick an AI package.", "success")
    return redirect(url_for("businesses.edit", slug=business.slug))


@bp.get("/businesses")
@login_required
def mine():
    return render_template("businesses/mine.html", businesses=businesses_for(current_user))


@bp.route("/businesses/new", methods=["GET", "POST"])
@login_required
def new():
    form = NewBusinessForm()
    if form.validate_on_submit():
        business = create_business(
            current_user,
            name=form.name.data,
            category=form.category.data,
            city=form.city.data,
            phone=form.phone.data,
            address=form.address.data,
            timezone=form.timezone.data,
        )
        flash(f"{business.name} was added. Complete its profile so your AI assistant knows it.", "success")
        return redirect(url_for("businesses.edit", slug=business.slug))
    return render_template("businesses/new.html", form=form), (422 if form.errors else 200)


@bp.get("/businesses/switch")
@login_required
def switch():
    from app.teams.access import role_for
    from app.navigation import business_home_url

    business = business_by_slug(request.args.get("slug", ""))
    if business is None or role_for(current_user, business) is None:
        abort(404)
    return redirect(business_home_url(business))


@bp.get("/businesses/<slug>")
@login_required
def overview(slug: str):
    business = owned_business_or_404(slug)
    return render_template("businesses/overview.html", business=business)


@bp.route("/businesses/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    business = owned_business_or_404(slug)
    if request.method == "POST":
        form = BusinessProfileForm()
    else:
        form = BusinessProfileForm(data=profile_form_data(business))
        # Two empty FAQ rows after the saved ones, so there is always room to add.
        while len(form.faq.entries) < min(len(business.faq or []) + 2, form.faq.max_entries):
            form.faq.append_entry()
    if form.validate_on_submit():
        update_profile(business, form)
        flash("Profile saved.", "success")
        return redirect(url_for("businesses.edit", slug=business.slug))
    return render_template("businesses/edit.html", form=form, business=business), (422 if form.errors else 200)
