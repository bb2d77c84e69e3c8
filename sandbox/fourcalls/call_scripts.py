"""What callers say, per business category, so transcripts fit the business."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CategoryScript:
    keywords: tuple[str, ...]
    appointment_noun: str
    services: tuple[str, ...]
    booking_requests: tuple[str, ...]
    questions: tuple[tuple[str, str], ...]
    lead_requests: tuple[str, ...]
    messages: tuple[str, ...]


SCRIPTS: dict[str, CategoryScript] = {
    "restaurant": CategoryScript(
        keywords=("restaurant", "cafe", "café", "bistro", "pizz", "diner", "grill", "bakery", "taco", "sushi", "bar"),
        appointment_noun="reservation",
        services=("Dine-in", "Takeout", "Catering", "Private events"),
        booking_requests=(
            "Hi, I'd like to reserve a table for four this weekend.",
            "Can I book a table for two for dinner?",
            "I want to make a reservation for my mom's birthday, about six people.",
        ),
        questions=(
            ("Do you have vegetarian options?", "Yes, about a third of our menu is vegetarian and we can make several dishes vegan."),
            ("Is there parking nearby?", "There's free parking behind the building and street parking out front."),
            ("Do you do takeout?", "We do. You can call in an order or order online for pickup."),
        ),
        lead_requests=(
            "We're planning a company dinner for about thirty people and want catering options.",
            "I'd like a quote for catering a wedding rehearsal dinner.",
        ),
        messages=(
            "I think I left my jacket at table twelve last night, could someone check?",
            "I wanted to say the staff were wonderful at our party on Saturday.",
        ),
    ),
    "salon": CategoryScript(
        keywords=("salon", "hair", "barber", "spa", "nail", "beauty", "lash", "brow"),
        appointment_noun="appointment",
        services=("Haircut", "Color", "Blowout", "Manicure", "Facial"),
        booking_requests=(
            "Hi, I need a haircut, do you have anything this week?",
            "I'd like to book a color appointment.",
            "Can I get in for a manicure?",
        ),
        questions=(
            ("How much is a women's cut?", "Women's cuts start at forty-five dollars, including a wash and style."),
            ("Do you take walk-ins?", "We take walk-ins when a stylist is free, but booking guarantees your spot."),
            ("What brand of color do you use?", "We use ammonia-free professional color lines."),
        ),
        lead_requests=(
            "I'm getting married in June and want someone to call me about bridal hair packages.",
            "Could someone call me about a group booking for a bachelorette party?",
        ),
        messages=(
            "I need to tell my stylist I'll be ten minutes late.",
            "Please ask Maria to call me about the product she recommended.",
        ),
    ),
    "dental": CategoryScript(
        keywords=("dental", "dentist", "orthodont", "teeth", "smile"),
        appointment_noun="appointment",
        services=("Cleaning", "Exam", "Whitening", "Fillings", "Invisalign consultation"),
        booking_requests=(
            "Hi, I'm due for a cleaning and would like to schedule one.",
            "I have a toothache and need to see the dentist as soon as possible.",
            "I'd like to book a checkup for my son.",
        ),
        questions=(
            ("Do you accept Delta Dental?", "Yes, we're in network with Delta Dental and most major PPO plans."),
            ("How much is teeth whitening?", "In-office whitening is three hundred and fifty dollars; take-home kits are less."),
            ("Do you see children?", "Yes, we see patients of all ages, starting with a first visit around age one."),
        ),
        lead_requests=(
            "I'm interested in Invisalign and would like someone to call me with pricing.",
            "I'm new to the area and want to know about becoming a patient.",
        ),
        messages=(
            "I need a copy of my x-rays sent to my new specialist.",
            "I have a question about my last bill, please call me back.",
        ),
    ),
    "plumbing": CategoryScript(
        keywords=("plumb", "hvac", "heating", "drain", "electric", "handyman", "roof", "contractor"),
        appointment_noun="service visit",
        services=("Leak repair", "Drain cleaning", "Water heater installation", "Emergency service"),
        booking_requests=(
            "My kitchen sink is leaking under the cabinet, can someone come out?",
            "Our water heater stopped working and we have no hot water.",
            "I need someone to look at a clogged drain.",
        ),
        questions=(
            ("Do you charge for estimates?", "Estimates are free; there's a sixty-nine dollar trip fee for service calls, waived if you go ahead with the repair."),
            ("Are you licensed and insured?", "Yes, all our technicians are licensed and we're fully insured."),
            ("Do you do emergency calls?", "We do, with an after-hours emergency line for burst pipes and major leaks."),
        ),
        lead_requests=(
            "We're remodeling a bathroom and want a quote for the plumbing.",
            "I manage a few rental properties and want to talk about a maintenance contract.",
        ),
        messages=(
            "The technician left his flashlight at my house this morning.",
            "I want to follow up on the invoice from last week's repair.",
        ),
    ),
    "law": CategoryScript(
        keywords=("law", "legal", "attorney", "lawyer", "firm", "notary"),
        appointment_noun="consultation",
        services=("Free consultation", "Estate planning", "Family law", "Personal injury"),
        booking_requests=(
            "I'd like to schedule a consultation about a divorce.",
            "I was in a car accident and want to talk to an attorney.",
            "I need help setting up a will, can I book a consultation?",
        ),
        questions=(
            ("Is the first consultation free?", "Yes, the first thirty-minute consultation is free and confidential."),
            ("Do you handle immigration cases?", "We don't handle immigration, but we're happy to refer you to a trusted firm."),
            ("How do your fees work?", "Personal injury cases are on contingency; other matters are billed hourly or at a flat fee."),
        ),
        lead_requests=(
            "My landlord is keeping my deposit and I want someone to call me about my options.",
            "We're starting a business and need help with contracts, please have someone reach out.",
        ),
        messages=(
            "I'm returning a call from attorney Chen about my case.",
            "I need to reschedule my deposition prep, please call me.",
        ),
    ),
    "auto_repair": CategoryScript(
        keywords=("auto", "car", "mechanic", "tire", "garage", "collision", "body shop", "oil"),
        appointment_noun="service appointment",
        services=("Oil change", "Brake service", "Diagnostics", "Tire rotation", "State inspection"),
        booking_requests=(
            "My check engine light came on, can I bring the car in?",
            "I need an oil change and tire rotation.",
            "My brakes are squeaking, can I schedule a brake inspection?",
        ),
        questions=(
            ("How much is an oil change?", "A synthetic oil change is fifty-nine ninety-nine and includes a multipoint inspection."),
            ("Do you work on hybrids?", "Yes, our technicians are certified on most hybrid models."),
            ("Do you offer loaner cars?", "We have a free shuttle within five miles and loaners for larger repairs."),
        ),
        lead_requests=(
            "I have a small fleet of delivery vans and want to talk about regular maintenance.",
            "Can someone call me with a quote for replacing a transmission?",
        ),
        messages=(
            "I'm calling to check whether my car is ready to be picked up.",
            "Please tell the mechanic the noise came back after the repair.",
        ),
    ),
    "fitness": CategoryScript(
        keywords=("fitness", "gym", "yoga", "pilates", "crossfit", "trainer", "martial", "dance", "studio"),
        appointment_noun="session",
        services=("Personal training", "Group classes", "Memberships", "Nutrition coaching"),
        booking_requests=(
            "I'd like to book a personal training session.",
            "Can I schedule a free trial class?",
            "I want to book an intro session with a trainer.",
        ),
        questions=(
            ("How much is a membership?", "Memberships start at forty-nine dollars a month with no long-term contract."),
            ("Do you have showers?", "Yes, both locker rooms have showers, towels and lockers."),
            ("Are classes beginner friendly?", "Absolutely, every class has options for beginners."),
        ),
        lead_requests=(
            "My company wants a corporate wellness program, can someone call me?",
            "I'm interested in a membership for my whole family, please call me with details.",
        ),
        messages=(
            "I need to freeze my membership while I'm traveling next month.",
            "I left my water bottle in the spin studio this morning.",
        ),
    ),
}

GENERIC = CategoryScript(
    keywords=(),
    appointment_noun="appointment",
    services=("Consultations", "Quotes", "Customer support"),
    booking_requests=(
        "Hi, I'd like to set up an appointment.",
        "Can I schedule a time to come in?",
        "I'd like to book a consultation, please.",
    ),
    questions=(
        ("Where are you located?", "You'll find the address on our website, and there's parking right outside."),
        ("Do you take credit cards?", "Yes, we accept all major credit cards and mobile payments."),
        ("How long have you been in business?", "We've been serving the community for over ten years."),
    ),
    lead_requests=(
        "I'd like someone to call me back with a quote.",
        "Can someone reach out to me about your services?",
    ),
    messages=(
        "I'm returning a call from earlier today.",
        "I have a question about my invoice, please call me back.",
    ),
)


def script_for(category: str | None) -> CategoryScript:
    text = (category or "").lower()
    for script in SCRIPTS.values():
        if any(keyword in text for keyword in script.keywords):
            return script
    return GENERIC


OUTBOUND_REPLIES = {
    "booked": "That actually sounds good. Can we set something up?",
    "lead": "I might be interested. Can someone send me more details?",
    "not_interested": "No thanks, I'm not interested right now.",
    "question": "Maybe. What are your hours?",
}

WRONG_NUMBER_LINES = (
    "Oh, sorry, I was trying to reach the pharmacy.",
    "Sorry, wrong number, I meant to call my brother.",
)


# What urgent callers say, per category (the words the businesses' defaults
# treat as urgent appear in them), and a generic fallback.
URGENT_LINES = {
    "plumbing": ("Water is everywhere, we have a burst pipe in the kitchen!",
                 "Our basement is starting to flood, can someone come now?",
                 "We have no heat and it's freezing in the house."),
    "dental": ("I'm in a lot of pain, my tooth is killing me.",
               "There's swelling in my jaw since this morning and it hurts."),
    "auto_repair": ("My car broke down on the highway and I'm stuck.",),
    "law": ("I've just been arrested and need a lawyer right away, it's an emergency.",),
}
GENERIC_URGENT = ("This is an emergency, I need someone to call me back right away.",)


def urgent_lines_for(script: CategoryScript) -> tuple[str, ...]:
    for name, candidate in SCRIPTS.items():
        if candidate is script:
            return URGENT_LINES.get(name, GENERIC_URGENT)
    return GENERIC_URGENT
