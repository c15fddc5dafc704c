"""The public online order form (seed 03): three steps, saved as you go; an unfinished order
can be resumed from a signed link (sent by e-mail by staff, or copied by the client)."""

from __future__ import annotations

from datetime import timedelta

import reflex as rx

from ordertrack import routes
from ordertrack.auth import AppState, coerce_int, coerce_str, guard
from ordertrack.clock import get_clock
from ordertrack.components.forms import field, form, select, submit_row, text_area, text_input
from ordertrack.components.layout import public_page
from ordertrack.db.engine import session_scope
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T
from ordertrack.live import publish
from ordertrack.services import intake, ratelimit, service_types
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput, NotFound
from ordertrack.settings import get_settings

STEPS = (N_("Service type"), N_("Contact details"), N_("Review"))
REVIEW = (("service_type", N_("Service type")), ("quantity", N_("Quantity")), ("requested", N_("Requested completion")),
          ("company", N_("Company")), ("contact", N_("Contact")), ("email", N_("E-mail")), ("phone", N_("Phone")),
          ("notes", N_("Notes")))


def _new_draft_allowed(client_ip: str) -> bool:
    """Count one new anonymous order for this client address, in the limiter every worker
    shares: ``ORDERTRACK_ORDER_FORM_PER_HOUR`` per address and hour."""
    return ratelimit.shared_limiter().hit(
        ratelimit.address_bucket("order-form", client_ip), limit=get_settings().order_form_per_hour,
        window=timedelta(hours=1), now=get_clock().now(),
    ).allowed


class OrderFormState(AppState):
    """Anyone may fill it in; what it holds is only this visitor's own draft."""

    step: int = 1
    data: dict[str, str] = {}
    error: str = ""
    resume_link: str = ""
    done_number: str = ""
    services: list[dict[str, str]] = []  # the active service types {"id": key, "name": name}
    service_label: str = ""  # the chosen type's name, for the review
    _draft_id: int = 0

    def _services(self) -> None:
        """The service select's options and the chosen type's name, in the visitor's language."""
        with session_scope() as session:
            self.services = service_types.options(session)
            chosen = self.data.get("service_type", "")
            self.service_label = service_types.label(session, chosen) if chosen else ""

    def _link(self) -> str:
        token = intake.sign_link(self._draft_id, secret=get_settings().signing_key(), now=get_clock().now())
        return f"{get_settings().public_url.rstrip('/')}{routes.ORDER_FORM}?resume={token}"

    def _save(self, step: int) -> None:
        if not self._draft_id and not _new_draft_allowed(self.router.session.client_ip):
            self.error = _("Too many new orders from your network in the last hour. Please try again later, "
                           "or write to support.")
            return  # nothing saved; the visitor stays on this step
        with session_scope() as session:
            self._draft_id = intake.save_draft(session, draft_id=self._draft_id or None, data=dict(self.data),
                                               step=step, now=get_clock().now())
        self.step = step
        self.resume_link = self._link()

    @rx.event
    @guard(public=True)
    def load(self):
        """Start fresh, or resume from ``?resume=<signed token>``."""
        self.error, self.done_number = "", ""
        self._services()
        token = coerce_str(self.router.page.params.get("resume", ""), name="Link", max_len=200)
        if not token:
            return None
        try:
            draft_id = intake.open_link(token, secret=get_settings().signing_key(), now=get_clock().now())
            with session_scope() as session:
                data, step, submitted = intake.load_draft(session, draft_id=draft_id)
        except (BadInput, NotFound) as exc:
            self._draft_id, self.data, self.step, self.resume_link = 0, {}, 1, ""
            self.error = _(exc.message)
            return None
        if submitted is not None:
            self.error = _("This order was already submitted.")
            return None
        self._draft_id, self.data, self.step = draft_id, {k: str(v) for k, v in data.items()}, step
        self._services()
        self.resume_link = self._link()
        return rx.toast.info(_("Welcome back: your order is where you left it."))

    @rx.event
    @guard(public=True)
    def save_service(self, form_data: dict):
        """Step 1: service type, quantity, requested completion."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        service = coerce_str(form_data.get("service_type"), name=_("Service type"), max_len=40)
        with session_scope() as session:
            offered = {t.key for t in service_types.active(session)}
        if service not in offered:
            self.error = _("Choose a service.")
            return None
        quantity = coerce_int(form_data.get("quantity") or 1, name=_("Quantity"), minimum=1)
        if quantity > 50:
            raise BadInput(_("Quantity must be 50 at most."))
        self.data = {**self.data, "service_type": service, "quantity": str(quantity),
                     "requested": coerce_str(form_data.get("requested"), name=_("Requested date"), max_len=10),
                     "notes": coerce_str(form_data.get("notes"), name=_("Notes"), max_len=2000)}
        self.error = ""
        self._services()
        self._save(2)

    @rx.event
    @guard(public=True)
    def save_contact(self, form_data: dict):
        """Step 2: who orders."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        company = coerce_str(form_data.get("company"), name=_("Company"), max_len=200)
        email = coerce_str(form_data.get("email"), name=_("E-mail"), max_len=320)
        if not company or "@" not in email or " " in email:
            self.error = _("Company and a valid e-mail address are required.")
            return None
        self.data = {**self.data, "company": company, "email": email,
                     "contact": coerce_str(form_data.get("contact"), name=_("Contact name"), max_len=200),
                     "phone": coerce_str(form_data.get("phone"), name=_("Phone"), max_len=40)}
        self.error = ""
        self._save(3)

    @rx.event
    @guard(public=True)
    async def back(self):
        """One step back (nothing is lost)."""
        self.step = max(1, self.step - 1)
        self.error = ""

    @rx.event
    @guard(public=True)
    def submit(self):
        """Step 3: place the order; it goes to the queue of its service type."""
        if not self._draft_id or self.step != 3:
            raise BadInput(_("Complete the previous steps first."))
        settings = get_settings()
        with session_scope() as session:
            created = intake.submit_draft(session, draft_id=self._draft_id, now=get_clock().now(),
                                          calendar=business_calendar(), support=settings.support_email,
                                          base_url=settings.public_url)
        self.done_number, self.resume_link, self._draft_id, self.data, self.step = created.number, "", 0, {}, 1
        publish()
        return rx.toast.success(_("Order {number} received.").format(number=created.number))


def _steps() -> rx.Component:
    s = OrderFormState
    return rx.hstack(*[rx.badge(f"{i}. ", T(name), variant=rx.cond(s.step == i, "solid", "soft"), size="2",
                                aria_current=rx.cond(s.step == i, "step", None))
                       for i, name in enumerate(STEPS, start=1)], wrap="wrap", role="group", aria_label=T("Steps"))


def _service_step() -> rx.Component:
    s = OrderFormState
    return form(
        field(T("Service type"), select("service_type", T("Service type"), s.services,
                                   none=T("— choose —"),
                                none_value="", value=s.data.get("service_type", ""), id="of-service"),
              html_for="of-service"),
        field(T("Quantity"), text_input("quantity", T("Quantity"), type="number", min="1", max="50", placeholder="",
                                     value=s.data.get("quantity", "1"), width="120px", id="of-qty"),
              html_for="of-qty"),
        field(T("Requested completion (optional)"),
              text_input("requested", T("Requested completion (optional)"), type="date", placeholder="",
                         value=s.data.get("requested", ""), width="", id="of-req"),
              html_for="of-req"),
        field(T("Notes (optional)"), text_area("notes", T("Notes (optional)"), value=s.data.get("notes", ""),
                                            placeholder="", id="of-notes"),
              html_for="of-notes", width="100%"),
        rx.button(T("Next"), type="submit"),
        on_submit=s.save_service,
        spacing="3",
    )


CONTACT_FIELDS = (("company", N_("Company"), "text"), ("contact", N_("Contact name"), "text"),
                  ("email", N_("E-mail"), "email"), ("phone", N_("Phone (optional)"), "tel"))


def _contact_step() -> rx.Component:
    s = OrderFormState
    return form(
        *[field(T(label), text_input(key, T(label), type=kind, value=s.data.get(key, ""), placeholder="", width="100%",
                                  id=f"of-{key}"), html_for=f"of-{key}", width="100%")
          for key, label, kind in CONTACT_FIELDS],
        submit_row(T("Next"), on_cancel=s.back, cancel=T("Back"), justify="start"),
        on_submit=s.save_contact,
        spacing="3",
    )


def _review_value(key: str) -> rx.Component:
    """What the visitor entered, as they chose it: the service's label (not its key), "—" for
    nothing."""
    s = OrderFormState
    value = s.data.get(key, "")
    if key == "service_type":
        return rx.cond(s.service_label != "", s.service_label, "—")
    return rx.cond(value != "", value, "—")


def _review_step() -> rx.Component:
    s = OrderFormState
    return rx.vstack(
        rx.data_list.root(
            *[rx.data_list.item(rx.data_list.label(T(label)), rx.data_list.value(_review_value(key)))
              for key, label in REVIEW],
            id="of-review",
        ),
        rx.hstack(rx.button(T("Back"), variant="soft", on_click=s.back), rx.button(T("Place order"), on_click=s.submit)),
        spacing="3",
    )


def order_form_page() -> rx.Component:
    """The public form."""
    s = OrderFormState
    return public_page(
        T("Order a service"),
        rx.cond(
            s.done_number != "",
            rx.callout(T("Thank you! Your order {number} has been received. We will contact you shortly.",
                         number=s.done_number),
                       icon="circle-check", color_scheme="green", id="of-done"),
            rx.vstack(
                _steps(),
                rx.cond(s.error != "", rx.callout(s.error, icon="triangle-alert", color_scheme="red",
                                                  role="alert", id="of-error")),
                rx.match(s.step, (1, _service_step()), (2, _contact_step()), _review_step()),
                rx.cond(s.resume_link != "", rx.vstack(
                    rx.text(T("Saved. To continue later, keep this link:"), size="1", color_scheme="gray",
                            overflow_wrap="anywhere"),
                    rx.code(s.resume_link, id="of-resume", size="1", word_break="break-all"),
                    spacing="1",
                )),
                spacing="3",
                width="100%",
            ),
        ),
        width="560px",
        lang=s.lang,
        on_language=s.set_language,
    )
