"""History notes the system writes are stored in English and read in the reader's language
(issue #13: "every string shown to users"), including notes written before a reader switched
language and notes whose arguments are labels or notes themselves."""

from __future__ import annotations

from ordertrack import i18n
from ordertrack.i18n.notes import localize, note_template
from ordertrack.services import provisioning, sla


def test_a_stored_sla_note_reads_in_russian_with_its_label_translated():
    with i18n.use("ru"):  # the note is written while a Russian operator's handler runs...
        stored = sla.PAUSED_NOTE.format(reason=sla._reason("phase:validation"))
    assert stored == "SLA clock paused: in Customer Validation."  # ...and still stored in English
    with i18n.use("ru"):
        assert localize(stored) == "Часы SLA приостановлены: в фазе «Проверка клиентом»."
    with i18n.use("en"):
        assert localize(stored) == stored


def test_numbers_and_nested_templates_are_carried_over():
    stored = sla.STARTED.format(target="16", service="Dedicated server", priority="urgent")
    with i18n.use("ru"):
        text = localize(stored)
    assert text.startswith("Часы SLA запущены: цель решения 16 рабочих ч")
    assert "срочный" in text and "SLA clock" not in text


def test_what_a_person_typed_is_shown_as_it_is():
    with i18n.use("ru"):
        assert localize("Customer called, will confirm tomorrow") == "Customer called, will confirm tomorrow"
        assert localize("") == "" and localize(None) == ""


def test_a_translation_that_lost_a_field_falls_back_to_english():
    template = note_template("Test note {x} for {y}")  # not in the catalog: English both ways
    with i18n.use("ru"):
        assert localize(template.format(x="1", y="2")) == "Test note 1 for 2"


def test_provisioning_notes_are_templates():
    stored = provisioning.RESOLVED_NOTE.format(note="cable replaced")
    with i18n.use("ru"):
        assert localize(stored) == "Проблема с подготовкой устранена: cable replaced"


def test_every_registered_note_template_has_a_russian_translation():
    import importlib
    import pkgutil

    import ordertrack.services
    from ordertrack.i18n import notes
    from ordertrack.i18n.build import merged

    for module in pkgutil.iter_modules(ordertrack.services.__path__):
        importlib.import_module(f"ordertrack.services.{module.name}")
    catalog = {m.id for m in merged("ru") if m.id and m.string}
    registered = set(notes._TEMPLATES) - {"Test note {x} for {y}"}
    assert len(registered) > 20 and sorted(registered - catalog) == []


def test_a_run_note_with_a_list_of_task_lines_reads_in_russian():
    from ordertrack.services import process_run as run

    lines = "; ".join([run.TASK_STATUS_LINE.format(task="Check credit", status="done"),
                       run.TASK_STEP_LINE.format(task="Order parts", old="Not Started", new="In Progress")])
    stored = run.RUN_NOTE_WITH.format(process="New Voice Service", lines=lines, note=run.WAIT_ENDED)
    with i18n.use("ru"):
        assert localize(stored) == ("New Voice Service: «Check credit»: выполнено; «Order parts»: шаг Не начато → "
                                    "В работе (24-часовое ожидание закончилось: выполнена сама)")
    phase = run.PHASE_OPENED.format(process="Voice", phase="Line test")
    with i18n.use("ru"):
        assert localize(phase) == "Voice: фаза Line test"  # the more specific template wins over "{process}: {lines}"


def test_a_mail_to_a_russian_reader_carries_the_note_in_russian():
    from ordertrack.services import notifications, process_run

    subject, body = notifications.render(
        "{{ detail }}", "{{ comment }}",
        {"detail": process_run.TASK_DETAIL.format(task="Check credit"),
         "comment": provisioning.RESOLVED_NOTE.format(note="cable replaced")}, "ru")
    assert subject == "Задача: Check credit" and "Проблема с подготовкой устранена: cable replaced" in body
    subject, _body = notifications.render("{{ detail }}", "x", {"detail": "Task: Check credit"}, "en")
    assert subject == "Task: Check credit"


def test_a_planning_note_of_several_changes_reads_in_russian():
    from ordertrack.services import order_moves as m

    stored = "; ".join([m.OWNER_NOTE.format(owner="Ann Lee"), m.PRIORITY_NOTE.format(old="normal", new="urgent")])
    with i18n.use("ru"):
        assert localize(stored) == "Ответственный → Ann Lee; Приоритет обычный → срочный"
    late = m.LATE_NOTE.format(note=m.DELAYED_NOTE.format(date="2026-11-30"), deadline="2026-12-01 09:00",
                              applied="2026-12-01 11:00")
    with i18n.use("ru"):
        assert localize(late).endswith("(срок был 2026-12-01 09:00; применено 2026-12-01 11:00 после простоя)")
        assert "2026-11-30" in localize(late) and "planned completion" not in localize(late)
