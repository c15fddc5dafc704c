"""Attachments of order messages: stored on disk under random names (never the client's),
with size and type limits; read back only by people who may see the message."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from ordertrack.db.message_models import Attachment, OrderMessage
from ordertrack.db.models import Customer, Order
from ordertrack.domain.access import Principal
from ordertrack.i18n import N_, _
from ordertrack.services.errors import BadInput, Forbidden, NotFound

TYPES = {
    ".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".txt": "text/plain", ".csv": "text/csv",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True, slots=True)
class AttachmentView:
    id: int
    name: str
    size: int


def safe_name(name: str) -> str:
    """A display name without paths or odd characters (the stored name is random anyway)."""
    base = Path((name or "").replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .") or "file"
    return base[:120]


def store(session: Session, *, principal: Principal, order_id: int, filename: str, data: bytes, folder: Path,
          max_bytes: int, now: datetime) -> AttachmentView:
    """Keep one uploaded file for the order (staff); refuses big files and unknown types."""
    if not principal.is_staff:
        raise Forbidden("Only staff attach files.")
    if session.get(Order, order_id) is None:
        raise NotFound("Order not found.")
    name, ext = _checked(filename, data, max_bytes)
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + ext
    (folder / stored).write_bytes(data)
    row = Attachment(order_id=order_id, original_name=name, stored_name=stored, size=len(data),
                     content_type=TYPES[ext], uploaded_by=principal.user_id, created_at=now)
    session.add(row)
    session.flush()
    return AttachmentView(row.id, name, len(data))


NOT_YOURS = N_("An attachment is not one of this message's uploads: upload it again in this dialog.")


def pending(session: Session, *, principal: Principal, order_id: int, attachment_ids: list[int]) -> list[Attachment]:
    """The pending uploads ``attachment_ids`` (issue #12.5): each must be an unsent upload of this
    principal on this order, or BadInput names none of them and nothing changes. An upload of
    order A can never be sent with a message of order B, whatever the tab claims."""
    wanted = sorted({int(i) for i in attachment_ids})
    if not wanted:
        return []
    rows = session.exec(select(Attachment).where(col(Attachment.id).in_(wanted))).all()
    mine = [a for a in rows if a.order_id == order_id and a.message_id is None
            and principal.user_id is not None and a.uploaded_by == principal.user_id]
    if len(mine) != len(wanted):
        raise BadInput(NOT_YOURS)
    return sorted(mine, key=lambda a: a.id)


def _checked(filename: str, data: bytes, max_bytes: int) -> tuple[str, str]:
    name = safe_name(filename)
    ext = Path(name).suffix.lower()
    if ext not in TYPES:
        raise BadInput(_("{name}: only {types} files may be attached.").format(name=name, types=", ".join(sorted(TYPES))))
    if len(data) > max_bytes:
        raise BadInput(_("{name} is larger than {mb} MB.").format(name=name, mb=max_bytes // (1024 * 1024)))
    if not data:
        raise BadInput(_("{name} is empty.").format(name=name))
    return name, ext


def store_for_mail(*, principal: Principal, filename: str, data: bytes, folder: Path, max_bytes: int) -> dict[str, str]:
    """Keep one file for a mail that belongs to no order yet (Send Order Links of an unfinished web
    order), under a random name; the caller holds the returned ``{"path", "name", "type", "size"}``
    (server side only) and hands it to the outbox, or ``discard_mail_files`` it."""
    if not principal.is_staff:
        raise Forbidden("Only staff attach files.")
    name, ext = _checked(filename, data, max_bytes)
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / ("mail-" + secrets.token_hex(16) + ext)
    stored.write_bytes(data)
    return {"path": str(stored), "name": name, "type": TYPES[ext], "size": str(len(data))}


def discard_mail_files(files: list[dict[str, str]], *, folder: Path) -> None:
    """Delete files kept by ``store_for_mail`` that will not be sent (only inside ``folder``)."""
    root = folder.resolve()
    for f in files:
        path = Path(f.get("path", "")).resolve()
        if path.parent == root and path.name.startswith("mail-"):
            path.unlink(missing_ok=True)


def attach_to_message(session: Session, *, order_id: int, message_id: int, attachment_ids: list[int]) -> None:
    """Bind pending uploads of this order to the message just posted."""
    for att in session.exec(select(Attachment).where(col(Attachment.id).in_(attachment_ids),
                                                     Attachment.order_id == order_id,
                                                     col(Attachment.message_id).is_(None))).all():
        att.message_id = message_id
        session.add(att)
    session.flush()


def files_for_mail(rows: list[Attachment], *, folder: Path) -> list[dict[str, str]]:
    """The files of the attachments ``rows`` as the outbox sender needs them."""
    return [{"path": str(folder / a.stored_name), "name": a.original_name, "type": a.content_type} for a in rows]


def discard(session: Session, *, principal: Principal, attachment_ids: list[int], folder: Path) -> int:
    """Drop the principal's own unsent uploads (a compose dialog closed, the page changed):
    rows and files. Sent attachments and other people's uploads are never touched."""
    wanted = sorted({int(i) for i in attachment_ids})
    if not wanted or principal.user_id is None:
        return 0
    rows = session.exec(select(Attachment).where(col(Attachment.id).in_(wanted), col(Attachment.message_id).is_(None),
                                                 Attachment.uploaded_by == principal.user_id)).all()
    for row in rows:
        (folder / row.stored_name).unlink(missing_ok=True)
        session.delete(row)
    session.flush()
    return len(rows)


def of_messages(session: Session, *, message_ids: list[int]) -> dict[int, list[AttachmentView]]:
    out: dict[int, list[AttachmentView]] = {}
    for a in session.exec(select(Attachment).where(col(Attachment.message_id).in_(message_ids))).all():
        out.setdefault(a.message_id, []).append(AttachmentView(a.id, a.original_name, a.size))
    return out


def for_download(session: Session, *, principal: Principal, attachment_id: int, folder: Path) -> tuple[Path, str, str]:
    """(path, name, content type) when the principal may see the message it belongs to."""
    att = session.get(Attachment, attachment_id)
    if att is None or att.message_id is None:
        raise NotFound("Attachment not found.")
    message = session.get(OrderMessage, att.message_id)
    order = session.get(Order, att.order_id)
    customer = session.get(Customer, order.customer_id)
    if not principal.can_see(customer_id=customer.id, reseller_id=customer.reseller_id) or \
            (not principal.is_staff and not message.client_viewable):
        raise NotFound("Attachment not found.")
    return folder / att.stored_name, att.original_name, att.content_type
