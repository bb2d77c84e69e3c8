"""Jinja templates of the hosted pages. Self-contained: inline CSS, no external assets."""

BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{{ business }}{% endblock %}</title>
<style>
*{box-sizing:border-box}
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 color:#1a1f36;background:#f6f9fc;font-size:15px;line-height:1.45}
a{color:#635bff;text-decoration:none} a:hover{text-decoration:underline}
.sandbox-banner{background:#ffde92;color:#5a3b00;font-size:12px;font-weight:600;text-align:center;
 padding:4px;letter-spacing:.04em;text-transform:uppercase}
.wrap{max-width:980px;margin:0 auto;padding:40px 24px}
.split{display:flex;gap:48px;flex-wrap:wrap}
.split>section{flex:1 1 360px}
.merchant{display:flex;align-items:center;gap:10px;font-weight:600;margin-bottom:28px}
.avatar{width:32px;height:32px;border-radius:50%;background:#635bff;color:#fff;display:flex;
 align-items:center;justify-content:center;font-weight:700}
.muted{color:#697386}.small{font-size:13px}
.amount{font-size:36px;font-weight:700;letter-spacing:-.02em;margin:4px 0}
.amount span{font-size:15px;font-weight:500;color:#697386}
.card{background:#fff;border-radius:8px;box-shadow:0 2px 5px rgba(60,66,87,.08),0 0 0 1px rgba(60,66,87,.08);
 padding:24px;margin-bottom:20px}
.line{display:flex;justify-content:space-between;padding:10px 0;border-bottom:1px solid #e3e8ee}
.line:last-child{border-bottom:0}
label{display:block;font-size:13px;font-weight:500;color:#3c4257;margin:16px 0 6px}
input[type=text],input[type=email]{width:100%;padding:10px 12px;font-size:15px;border:1px solid #d5dbe1;
 border-radius:6px;background:#fff;color:#1a1f36}
input:focus{outline:none;border-color:#635bff;box-shadow:0 0 0 3px rgba(99,91,255,.25)}
.joined input{border-radius:0}.joined .top{border-radius:6px 6px 0 0}
.joined .row{display:flex}.joined .row input{border-top:0}
.joined .row input:first-child{border-radius:0 0 0 6px}.joined .row input:last-child{border-radius:0 0 6px 0;border-left:0}
button,.button{display:inline-block;border:0;border-radius:6px;padding:11px 16px;font-size:15px;font-weight:600;
 cursor:pointer;background:#635bff;color:#fff;text-align:center}
button.full{width:100%;margin-top:24px;padding:13px}
button.secondary,.button.secondary{background:#fff;color:#3c4257;box-shadow:0 0 0 1px #d5dbe1}
button.danger{background:#fff;color:#df1b41;box-shadow:0 0 0 1px #f5c2cc}
button:disabled{background:#e3e8ee;color:#8792a2;cursor:default}
.error{background:#fff0f2;color:#df1b41;border:1px solid #f5c2cc;border-radius:6px;padding:10px 12px;margin-top:16px}
.notice{background:#eafaf1;color:#0e6245;border:1px solid #b4ebcb;border-radius:6px;padding:10px 12px;margin-bottom:20px}
.badge{display:inline-block;font-size:12px;font-weight:600;border-radius:4px;padding:2px 6px;background:#e3e8ee;color:#3c4257}
.badge.active,.badge.paid{background:#d7f7c2;color:#05690d}
.badge.past_due,.badge.open{background:#fcedb9;color:#a82c00}
.badge.canceled,.badge.void{background:#ffe7f2;color:#b3063d}
.hint{margin-top:28px;font-size:13px;color:#697386;border-top:1px solid #e3e8ee;padding-top:16px}
.hint code{background:#f1f4f8;border-radius:4px;padding:1px 4px;color:#3c4257}
.plans{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px}
.plan{border:1px solid #e3e8ee;border-radius:8px;padding:16px}
.plan.current{border-color:#635bff;box-shadow:0 0 0 1px #635bff}
.plan h4{margin:0 0 4px}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:10px 8px;border-bottom:1px solid #e3e8ee;font-size:14px}
th{color:#697386;font-weight:500;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:0 0 14px} h3{font-size:15px;margin:0}
footer{margin-top:40px;font-size:12px;color:#8792a2;text-align:center}
</style></head>
<body><div class="sandbox-banner">Test mode &middot; Stripe sandbox</div>
<div class="wrap">{% block body %}{% endblock %}
<footer>Powered by the local Stripe sandbox &middot; no real payments are made</footer></div></body></html>
"""

CHECKOUT = """{% extends base %}
{% block title %}Subscribe to {{ lines[0].name }} &ndash; {{ business }}{% endblock %}
{% block body %}
<div class="split">
<section>
  <div class="merchant"><div class="avatar">{{ business[:1] }}</div>{{ business }}</div>
  <div class="muted">Subscribe to {{ lines[0].name }}</div>
  <div class="amount">{{ total }} <span>per {{ interval }}</span></div>
  <div class="card" style="margin-top:24px">
    {% for line in lines %}
    <div class="line"><div><strong>{{ line.name }}</strong>
      <div class="muted small">Billed {{ line.cadence }}{% if line.quantity > 1 %} &middot; Qty {{ line.quantity }}{% endif %}</div></div>
      <div>{{ line.amount }}</div></div>
    {% endfor %}
    <div class="line"><strong>Total due today</strong><strong>{{ total }}</strong></div>
  </div>
</section>
<section>
  {% if unavailable %}
  <div class="card"><h2>{{ unavailable }}</h2>
    <p class="muted">This checkout link can no longer be used.</p></div>
  {% else %}
  <form class="card" method="post" action="{{ action }}" autocomplete="off">
    <h2>Pay with card</h2>
    <label for="email">Email</label>
    <input type="email" id="email" name="email" value="{{ email }}" {% if email_locked %}readonly{% endif %} required>
    <label for="card_number">Card information</label>
    <div class="joined">
      <input class="top" type="text" id="card_number" name="card_number" inputmode="numeric"
        placeholder="1234 1234 1234 1234" value="{{ card_number }}" required>
      <div class="row"><input type="text" name="exp" placeholder="MM / YY" value="{{ exp }}" aria-label="Expiration" required>
        <input type="text" name="cvc" placeholder="CVC" value="{{ cvc }}" aria-label="CVC" required></div>
    </div>
    {% if error %}<div class="error" role="alert">{{ error }}</div>{% endif %}
    <button class="full" type="submit">Pay {{ total }} and subscribe</button>
    {% if cancel_href %}<p class="small" style="text-align:center;margin-top:14px">
      <a href="{{ cancel_href }}">Cancel and return to {{ business }}</a></p>{% endif %}
    <div class="hint">Test cards: <code>4242 4242 4242 4242</code> succeeds,
      <code>4000 0000 0000 0002</code> is declined, <code>4000 0000 0000 0341</code> succeeds now and fails at renewal.
      Any future expiry and any CVC.</div>
  </form>
  {% endif %}
</section>
</div>
{% endblock %}
"""

PORTAL = """{% extends base %}
{% block title %}Manage billing &ndash; {{ business }}{% endblock %}
{% block body %}
<div class="merchant"><div class="avatar">{{ business[:1] }}</div>{{ business }}</div>
{% if return_url %}<p><a href="{{ return_url }}">&larr; Return to {{ business }}</a></p>{% endif %}
<h1>Billing</h1><p class="muted">{{ customer_email or customer_id }}</p>
{% if notice %}<div class="notice">{{ notice }}</div>{% endif %}
{% if error %}<div class="error" style="margin-bottom:20px">{{ error }}</div>{% endif %}
{% for sub in subscriptions %}
<div class="card">
  <h2>Current plan</h2>
  <div style="display:flex;justify-content:space-between;align-items:flex-start;gap:16px;flex-wrap:wrap">
    <div><h3>{{ sub.name }} <span class="badge {{ sub.status }}">{{ sub.status_label }}</span></h3>
      <div class="amount" style="font-size:26px">{{ sub.price }}</div>
      <div class="muted small">{{ sub.timeline }}</div></div>
    <form method="post" action="{{ sub.toggle_action }}">
      {% if sub.cancel_at_period_end %}<button type="submit">Renew subscription</button>
      {% else %}<button class="danger" type="submit">Cancel subscription</button>{% endif %}
    </form>
  </div>
  {% if sub.offers %}
  <h2 style="margin-top:28px">Change plan</h2>
  <div class="plans">
  {% for offer in sub.offers %}
    <form class="plan {% if offer.current %}current{% endif %}" method="post" action="{{ sub.switch_action }}">
      <h4>{{ offer.name }}</h4><div class="muted">{{ offer.price }}</div>
      <input type="hidden" name="price" value="{{ offer.id }}">
      <button class="secondary" style="margin-top:12px;width:100%" type="submit"
        {% if offer.current or not sub.switchable %}disabled{% endif %}>
        {% if offer.current %}Current plan{% else %}Select{% endif %}</button>
    </form>
  {% endfor %}
  </div>
  {% endif %}
</div>
{% else %}
<div class="card"><h2>No active subscriptions</h2><p class="muted">There is nothing to manage yet.</p></div>
{% endfor %}
<div class="card"><h2>Invoice history</h2>
{% if invoices %}<table><tr><th>Date</th><th>Number</th><th>Amount</th><th>Status</th><th></th></tr>
{% for invoice in invoices %}<tr><td>{{ invoice.date }}</td><td>{{ invoice.number }}</td><td>{{ invoice.amount }}</td>
<td><span class="badge {{ invoice.status }}">{{ invoice.status }}</span></td>
<td><a href="{{ invoice.url }}">View</a></td></tr>{% endfor %}</table>
{% else %}<p class="muted">No invoices yet.</p>{% endif %}</div>
{% endblock %}
"""

INVOICE = """{% extends base %}
{% block title %}Invoice {{ invoice.number }} &ndash; {{ business }}{% endblock %}
{% block body %}
<div class="merchant"><div class="avatar">{{ business[:1] }}</div>{{ business }}</div>
<div class="card">
  <div style="display:flex;justify-content:space-between;flex-wrap:wrap;gap:16px">
    <div><div class="muted">Invoice {{ invoice.number }}</div>
      <div class="amount">{{ amount_due }}</div>
      <span class="badge {{ invoice.status }}">{{ invoice.status }}</span>
      {% if paid_on %}<span class="muted small">Paid {{ paid_on }}</span>{% endif %}</div>
    <div class="small"><div class="muted">Billed to</div>{{ invoice.customer_email or invoice.customer }}
      <div class="muted" style="margin-top:8px">Issued</div>{{ issued }}</div>
  </div>
  <table style="margin-top:24px"><tr><th>Description</th><th>Period</th><th style="text-align:right">Amount</th></tr>
  {% for line in lines %}<tr><td>{{ line.description }}</td><td class="muted">{{ line.period }}</td>
  <td style="text-align:right">{{ line.amount }}</td></tr>{% endfor %}
  <tr><td colspan="2"><strong>Total</strong></td><td style="text-align:right"><strong>{{ total }}</strong></td></tr>
  <tr><td colspan="2">Amount paid</td><td style="text-align:right">{{ amount_paid }}</td></tr>
  </table>
</div>
{% if invoice.status == "open" %}
<form class="card" method="post" action="{{ action }}" autocomplete="off" style="max-width:460px">
  <h2>Pay {{ amount_due }}</h2>
  <label for="card_number">Card information</label>
  <div class="joined">
    <input class="top" type="text" id="card_number" name="card_number" inputmode="numeric"
      placeholder="1234 1234 1234 1234" value="{{ form.card_number }}" required>
    <div class="row"><input type="text" name="exp" placeholder="MM / YY" value="{{ form.exp }}" aria-label="Expiration" required>
      <input type="text" name="cvc" placeholder="CVC" value="{{ form.cvc }}" aria-label="CVC" required></div>
  </div>
  {% if error %}<div class="error" role="alert">{{ error }}</div>{% endif %}
  <button class="full" type="submit">Pay {{ amount_due }}</button>
</form>
{% endif %}
{% endblock %}
"""

MESSAGE = """{% extends base %}
{% block body %}
<div class="merchant"><div class="avatar">{{ business[:1] }}</div>{{ business }}</div>
<div class="card"><h2>{{ heading }}</h2><p class="muted">{{ text }}</p></div>
{% endblock %}
"""
