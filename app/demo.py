"""Demo data for `make run`: a directory of local businesses and a demo owner."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.services import find_user_by_email, register_user
from app.businesses.services import claim_business, default_opening_hours, slugify
from app.extensions import db
from app.models import Business
from app.wording import with_article

DEMO_OWNER_EMAIL = "owner@demo.alphasite.test"
DEMO_OWNER_PASSWORD = "demo-owner-pass"
DEMO_ADMIN_EMAIL = "admin@demo.alphasite.test"
DEMO_ADMIN_PASSWORD = "demo-admin-pass"

# (name, category, city, phone, services, faq)
DIRECTORY = [
    ("Bella Napoli Trattoria", "Restaurant", "Springfield", "+1 555 201 1001",
     ["Dine-in", "Takeaway", "Private events", "Catering"],
     [("Do you take reservations?", "Yes, for parties of any size; book by phone or chat."),
      ("Do you have vegan options?", "Several pastas and pizzas can be made vegan.")]),
    ("Golden Wok", "Restaurant", "Springfield", "+1 555 201 1002", ["Dine-in", "Delivery"], []),
    ("Morning Grind Cafe", "Cafe", "Springfield", "+1 555 201 1003", ["Coffee", "Pastries", "Wi-Fi"], []),
    ("Studio Shear Salon", "Salon", "Springfield", "+1 555 201 1004",
     ["Haircut", "Colouring", "Blow-dry", "Beard trim"],
     [("How long is a haircut?", "About 45 minutes including wash and style.")]),
    ("Glow Nail & Beauty", "Salon", "Shelbyville", "+1 555 201 1005", ["Manicure", "Pedicure"], []),
    ("Bright Smile Dental", "Dental", "Springfield", "+1 555 201 1006",
     ["Check-up", "Cleaning", "Whitening", "Emergency care"],
     [("Do you accept insurance?", "We accept most major dental plans.")]),
    ("Riverside Family Dentistry", "Dental", "Shelbyville", "+1 555 201 1007", ["Check-up", "Orthodontics"], []),
    ("QuickFix Plumbing", "Plumbing", "Springfield", "+1 555 201 1008",
     ["Leak repair", "Drain cleaning", "Water heaters", "24/7 emergencies"], []),
    ("PipeMasters", "Plumbing", "Capital City", "+1 555 201 1009", ["Bathroom remodels", "Repiping"], []),
    ("Volt Electric Co.", "Electrician", "Springfield", "+1 555 201 1010", ["Rewiring", "EV chargers"], []),
    ("Harper & Cole Law", "Law Firm", "Capital City", "+1 555 201 1011",
     ["Family law", "Estate planning", "Free first consultation"], []),
    ("Main Street Auto Care", "Auto Repair", "Springfield", "+1 555 201 1012",
     ["Oil change", "Brakes", "Diagnostics", "Tyres"], []),
    ("Torque Garage", "Auto Repair", "Shelbyville", "+1 555 201 1013", ["Engine repair", "Inspections"], []),
    ("Peak Performance Gym", "Fitness", "Springfield", "+1 555 201 1014",
     ["Memberships", "Personal training", "Yoga classes"], []),
    ("Zen Flow Yoga", "Fitness", "Capital City", "+1 555 201 1015", ["Drop-in classes", "Workshops"], []),
    ("Hearth Realty", "Real Estate", "Springfield", "+1 555 201 1016", ["Buying", "Selling", "Valuations"], []),
    ("Paws & Claws Vet Clinic", "Veterinary", "Springfield", "+1 555 201 1017",
     ["Vaccinations", "Surgery", "Dental care for pets"], []),
    ("Sparkle Home Cleaning", "Cleaning", "Shelbyville", "+1 555 201 1018", ["Deep cleaning", "Move-out"], []),
    ("Corner Books", "Retail", "Springfield", "+1 555 201 1019", ["New and used books", "Orders"], []),
    ("Oak Street Medical", "Medical", "Capital City", "+1 555 201 1020", ["GP appointments", "Vaccines"], []),
]

CLAIMED_DEMO_SLUG = slugify("Bella Napoli Trattoria Springfield")
# The demo directory's Springfield is on the US west coast.
DEMO_ZONE = "America/Los_Angeles"


def seed_demo() -> dict:
    """Create the demo directory and accounts. Safe to run any number of times."""
    created = 0
    for index, (name, category, city, phone, services, faq) in enumerate(DIRECTORY):
        slug = slugify(f"{name} {city}")
        if db.session.scalar(select(Business.id).where(Business.slug == slug)):
            continue
        db.session.add(
            Business(
                name=name,
                slug=slug,
                category=category,
                city=city,
                phone=phone,
                address=f"{100 + index * 7} Main Street",
                website=f"https://{slugify(name)}.example.com",
                description=f"{name} is {with_article(category.lower())} business serving {city} and the surrounding area.",
                opening_hours=default_opening_hours(),
                services=services,
                faq=[{"question": q, "answer": a} for q, a in faq],
                timezone=DEMO_ZONE,
            )
        )
        created += 1
    db.session.commit()

    owner = find_user_by_email(DEMO_OWNER_EMAIL) or register_user("Demo Owner", DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, verified=True)
    admin = find_user_by_email(DEMO_ADMIN_EMAIL) or register_user("AlphaSite Admin", DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, verified=True)
    if not admin.is_admin:
        admin.is_admin = True
        db.session.commit()
    demo_business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
    if demo_business.owner_id is None:
        claim_business(demo_business, owner, timezone=DEMO_ZONE)
    return {"businesses_created": created, "owner": owner, "admin": admin, "business": demo_business}


# Areas that need the running services for their demo state register a
# callable here. The demo business is bought, provisioned and given its
# history through the sandboxes (app/demo_sandbox.py).
def _living_demo() -> None:
    from app.demo_sandbox import living_demo

    living_demo()


after_start_hooks: list = [_living_demo]


def after_start() -> None:
    for hook in after_start_hooks:
        hook()
