"""The e-mail templates: their default texts (English message ids, Russian from the catalog),
the variables each one gets, who may receive it, and the HTML layout around every body.

Templates are Jinja2 source rendered in a sandbox (``notifications.render``): ``{{ name }}``
fills a variable, ``{% if name %}…{% endif %}`` leaves out a line that has nothing to say.
Administrators edit the subject and the plain-text body per language; the HTML part is the
same body laid into ``LAYOUT`` (paragraphs, links), so the two parts never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ordertrack.i18n import N_


class Audience(StrEnum):
    """Who may receive a template's mail."""

    CUSTOMER = "customer"  # written for customers (and copied to staff)
    STAFF = "staff"  # internal: never mailed to a customer's contact
    PROCESS = "process"  # customers only for the events in CUSTOMER_PROCESS_EVENTS


# Process notifications a customer may receive; every other one ("Phase completed", "Task
# completed", overdue and escalated tasks) is about internal work and goes to staff only.
CUSTOMER_PROCESS_EVENTS = frozenset({"Order completed", "Order canceled"})
# How a process event reads in a mail (the process designer's event names, as sentences).
EVENT_TEXT = {
    "Task completed": N_("A task was completed"),
    "Phase completed": N_("A phase was completed"),
    "Order completed": N_("The order was completed"),
    "Order canceled": N_("The order was canceled"),
    "Task past its alarm hours": N_("A task is past its alarm hours"),
    "Task escalated after 2 business hours": N_("A task was escalated after 2 business hours"),
}
# Variables whose values are English labels (phases, statuses, events): translated into the
# recipient's language before the template is rendered.
TRANSLATED_VARIABLES = frozenset({"phase", "status", "event", "detail", "comment"})  # system notes: i18n.notes


@dataclass(frozen=True, slots=True)
class MailTemplate:
    event: str
    name: str  # English message id
    subject: str  # English message id (Jinja2 source)
    body: str  # English message id (Jinja2 source)
    variables: tuple[str, ...]
    audience: Audience


TEMPLATES: dict[str, MailTemplate] = {t.event: t for t in (
    MailTemplate(
        "order_status_changed", N_("Order status changed"),
        N_("Your order {{ order_number }} is now in {{ phase }}"),
        N_("Hello {{ customer }},\n\n"
           "Your order {{ order_number }} ({{ order_name }}) has moved to {{ phase }}. Its status is now "
           "{{ status }}.\n"
           "{% if comment %}\nA note from our team: {{ comment }}\n{% endif %}\n"
           "You can follow the order here: {{ order_link }}\n\n"
           "Kind regards,\nYour service team"),
        ("customer", "order_number", "order_name", "phase", "status", "comment", "order_link"),
        Audience.CUSTOMER,
    ),
    MailTemplate(
        "order_message", N_("Message about an order"),
        N_("{{ subject }}"),
        N_("{{ message }}\n\n"
           "-- \n{{ sender }}\n"
           "Order {{ order_number }} ({{ order_name }}): {{ order_link }}"),
        ("subject", "message", "sender", "order_number", "order_name", "order_link"),
        Audience.CUSTOMER,
    ),
    MailTemplate(
        "order_link", N_("Link to continue an order"),
        N_("{{ subject }}"),
        N_("{{ message }}\n\n"
           "Continue your order here: {{ order_link }}\n\n"
           "-- \n{{ sender }}"),
        ("subject", "message", "sender", "company", "order_link"),
        Audience.CUSTOMER,
    ),
    MailTemplate(
        "process_event", N_("Process event"),
        N_("{{ event }}: {{ subject_name }}"),
        N_("Hello,\n\n"
           "{{ event }} in the process “{{ process }}”{% if subject_name %} of order {{ subject_name }}{% endif %}.\n"
           "{% if detail %}{{ detail }}\n{% endif %}\n"
           "Open: {{ order_link }}"),
        ("event", "process", "subject_name", "detail", "order_link"),
        Audience.PROCESS,
    ),
    MailTemplate(
        "order_provisioning_failed", N_("Order provisioning failed"),
        N_("Order {{ order_number }} could not be provisioned: {{ reason }}"),
        N_("Hello,\n\n"
           "Order {{ order_number }} ({{ order_name }}) for {{ customer }} could not be provisioned.\n\n"
           "Reason: {{ reason }}\n"
           "{% if details %}Details: {{ details }}\n{% endif %}\n"
           "Steps to remedy:\n{{ remedy }}\n\n"
           "Our support team is working on it and will act within 2 business hours. "
           "You will get an e-mail when the problem is resolved.\n\n"
           "Order: {{ order_link }}"),
        ("order_number", "order_name", "customer", "reason", "details", "remedy", "order_link"),
        Audience.CUSTOMER,
    ),
    MailTemplate(
        "order_failure_escalated", N_("Failed order not resolved in 2 business hours"),
        N_("Order {{ order_number }}: the provisioning failure is not resolved yet"),
        N_("Hello,\n\n"
           "The provisioning failure of order {{ order_number }} ({{ customer }}) could not be resolved "
           "within 2 business hours.\n\n"
           "Reason: {{ reason }}\n\n"
           "Steps to remedy:\n{{ remedy }}\n\n"
           "Please contact your helpdesk if you need help.\n\n"
           "Order: {{ order_link }}"),
        ("order_number", "order_name", "customer", "reason", "remedy", "order_link"),
        Audience.CUSTOMER,
    ),
    MailTemplate(
        "order_failure_resolved", N_("Failed order resolved"),
        N_("Order {{ order_number }}: the provisioning problem is resolved"),
        N_("Hello,\n\n"
           "The provisioning problem of order {{ order_number }} ({{ order_name }}, {{ customer }}) is resolved.\n"
           "{% if resolution %}\nWhat was done: {{ resolution }}\n{% endif %}\n"
           "Order: {{ order_link }}"),
        ("order_number", "order_name", "customer", "reason", "resolution", "order_link"),
        Audience.CUSTOMER,
    ),
    MailTemplate(
        "sla_threshold", N_("SLA warning"),
        N_("{% if breached %}SLA breached{% else %}SLA {{ percent }} % reached{% endif %}: "
           "order {{ order_number }} {{ order_name }}"),
        N_("Hello,\n\n"
           "Order {{ order_number }} ({{ order_name }}, {{ customer }}) has used {{ used }} of its {{ target }} "
           "business-hour resolution target ({{ percent }} %).\n"
           "{% if deadline %}Target deadline: {{ deadline|datetime(zone) }}{% else %}The SLA clock is paused.{% endif %}"
           "\n\nOpen the order: {{ order_link }}"),
        ("order_number", "order_name", "customer", "percent", "used", "target", "deadline", "zone", "breached",
         "order_link"),
        Audience.STAFF,
    ),
)}

# The names of the variables as the settings page explains them.
VARIABLE_HELP = {
    "order_number": N_("the order's number"), "order_name": N_("the order's name"),
    "customer": N_("the customer's name"), "phase": N_("the order's phase"), "status": N_("its status"),
    "comment": N_("the note of the change"), "order_link": N_("the link to the order"),
    "subject": N_("the subject the sender typed"), "message": N_("the text the sender typed"),
    "sender": N_("who sent it"), "company": N_("the company on the order form"),
    "event": N_("what happened"), "process": N_("the process"), "subject_name": N_("the order"),
    "detail": N_("the task or phase"), "reason": N_("the failure's reason"), "details": N_("its details"),
    "remedy": N_("the steps to remedy"), "resolution": N_("what support did"),
    "percent": N_("the threshold reached"), "used": N_("business hours used"),
    "target": N_("the target in business hours"), "deadline": N_("when the target runs out"),
    "breached": N_("set once the target is used up"), "zone": N_("the business time zone"),
}

SAMPLE_VARIABLES = {  # the preview's values when the database has no real ones yet
    "order_number": "SO-20260123", "order_name": "SIP trunk for Acme", "customer": "Acme Logistics",
    "reason": "Offer Use Limit Exceeded", "details": "The customer already has 10 SIP trunks, the offer allows 10.",
    "remedy": "Verify whether information on the order is correct.",
    "resolution": "Limit raised by the reseller, provisioning retried.",
    "order_link": "http://localhost:3000/orders/SO-20260123", "process": "New Voice Service",
    "event": "Order completed", "subject_name": "SO-20260123 SIP trunk for Acme", "detail": "Task: Provision Service",
    "phase": "validation", "status": "validation",
    "comment": "All services activated; please approve within 2 days.",
    "subject": "Your SIP trunk is ready for testing", "message": "Hello,\n\nthe trunk is up; please test a call.",
    "sender": "Mia Manager", "company": "Acme Logistics", "percent": "75", "used": "30", "target": "40",
    "deadline": "2026-11-26T14:00:00+00:00", "zone": "Europe/London", "breached": "",
}

LAYOUT = """<!doctype html>
<html{% if lang %} lang="{{ lang }}"{% endif %}>
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{ subject }}</title></head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:-apple-system,'Segoe UI',Roboto,Arial,sans-serif;">
<div style="max-width:640px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px 28px;\
color:#1c2024;font-size:15px;line-height:1.5;">
{% for paragraph in paragraphs %}<p style="margin:0 0 14px 0;">{{ paragraph|linkify }}</p>
{% endfor %}</div>
</body>
</html>
"""
