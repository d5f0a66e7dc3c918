"""電子保証にかかる「認証キー」のお知らせ: the one-page notice the contractor hands to the orderer.

It tells that the certificate is posted on the viewing platform (保証確認サービス), how to hand this
PDF to the orderer (① upload to the e-contract system, or ② an e-mail attachment), what the orderer
does with it, and — in the 記 block — the product, the auth key, the contractor, the work and the
contract number. The request to the orderer follows, boxed: with the issuer's verification page, its
address as text (to type) beside the QR code that opens it, and the code's caption telling where the
key goes. The handling branch and its telephone close the page.

The auth key is printed large, one character per box, with a small caption under each box telling
an upper-case letter (大), a lower-case letter (小) and a digit (数) apart, so that it can be typed
from paper without guessing. The notice is set in Gothic only (one embedded face keeps it small).
"""
from __future__ import annotations

import io
import itertools
from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel
from PIL import Image
from reportlab.lib import colors
from reportlab.lib.utils import ImageReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from ..fonts import GOTHIC, ensure_fonts
from ..domain.guarantee.certificates import label as version_label
from ..domain.catalogue.products import Product
from .kinds import Wording, wording
from . import (
    INK,
    Issuer,
    load_issuer,
    markup,
    new_canvas,
    paragraph_styles,
    product_label,
    serialised,
    verification_url,
    wareki_of,
    work_label,
)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 66
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
FACE = GOTHIC

TITLE = "電子保証にかかる「認証キー」のお知らせ"
SERVICE = "保証確認サービス"

# What handing over the number and the key completes, per product.
COMPLETES = {
    Product.ADVANCE_PAYMENT: "前払金請求手続（前払金保証）",
    Product.INTERIM_ADVANCE_PAYMENT: "中間前払金請求手続（中間前払金保証）",
    Product.CONTRACT: "請負契約締結手続（契約保証）",
}

RULE = colors.Color(0.3, 0.3, 0.3)
SOFT = colors.Color(0.45, 0.45, 0.45)
FILL = colors.Color(0.95, 0.95, 0.95)

LABEL_WIDTH = 96  # 商品（保証区分） is the widest label; the others are spread to its width
KEY_CELL = 25
KEY_HEIGHT = 32
KEY_SIZE = 20
KEY_LEGEND = "大：英大文字　小：英小文字　数：数字（数字の0・1、英字のO・o・I・l は使用していません）"

# The QR code: one inch wide, level M (15 % of the code may be damaged); the usual URL needs 41 × 41
# modules, so a module is about 0.6 mm on paper. No quiet zone is drawn: the layout keeps a white
# margin of more than four modules (7 pt) around the code.
QR_SIZE = 72
QR_MARGIN = 10  # between the code and the box around it (more than four modules)
QR_GAP = 14  # between the text beside the code and the code

# The QR's caption, for the orderer's clerk who scans it. What it says of the key is what happens:
# the link carries it after 「#」 (verification_url), which a browser never sends to a server; the
# 保証確認 page reads it on the device and posts it only when 閲覧 is pressed. The link itself stays in
# the scanning app's and the browser's history on that device. Short: every new glyph is embedded,
# and the signed notice stays within 40 KiB (tests/integration/test_signing.py).
QR_CAPTION = (
    "QRコードには{number}と認証キーが入っています。認証キーは「閲覧」を押すまでサーバーに"
    "送られませんが、読み取った端末の履歴には残るため、共用の端末では読み取らないでください。"
)
ADDRESS_LABEL = f"{SERVICE}のURL："
ADDRESS_LABEL_SIZE = 9.5
ADDRESS_LINE = 13  # the label's line
ADDRESS_LEADING = 1.3  # the address's lines under it, times its size
# The address is set as large as the box allows, on the label's line or under it: a long one smaller,
# so that the page still holds it.
ADDRESS_SIZES = (10, 9, 8, 7, 6)

# The request to the orderer, boxed at the foot of the page: its bottom at REQUEST_BOTTOM when the 記
# block leaves room, lower when the block runs long, and above REQUEST_FLOOR (the handling branch's
# lines, CONTACT_Y and 14 pt under it, are below the box) unless the issuer's address is absurdly long.
REQUEST_BOTTOM = 118
REQUEST_FLOOR = 86
REQUEST_PAD = 12
REQUEST_HEAD = 22  # from the box's top to its text, under 【発注者様へのお願い】
CONTACT_Y = 72

_STYLES = paragraph_styles(
    FACE,
    body=dict(fontSize=10.5, leading=17, firstLineIndent=10.5),
    value=dict(fontSize=11, leading=16),
    request=dict(fontSize=9, leading=13.5),
    caption=dict(fontSize=7, leading=9.5),
)


def _style(name: str) -> ParagraphStyle:
    return _STYLES[name]


def key_caption(char: str) -> str:
    """大 upper-case letter, 小 lower-case letter, 数 digit."""
    if char.isdigit():
        return "数"
    return "大" if char.isupper() else "小"


def _paragraph(c: Canvas, text: str, style: str, x: float, y: float, width: float) -> float:
    """Draw a wrapped paragraph with its top at y; return the y below it."""
    para = Paragraph(text, _style(style))
    _, height = para.wrapOn(c, width, PAGE_HEIGHT)
    para.drawOn(c, x, y - height)
    return y - height


def _draw_spread(c: Canvas, text: str, x: float, y: float, width: float, size: float) -> None:
    """均等割付: the characters of a label spread evenly over the width."""
    if len(text) < 2:
        c.drawString(x, y, text)
        return
    widths = [c.stringWidth(ch, FACE, size) for ch in text]
    gap = (width - sum(widths)) / (len(text) - 1)
    for ch, w in zip(text, widths):
        c.drawString(x, y, ch)
        x += w + gap


def _draw_key(c: Canvas, key: str, x: float, top: float) -> float:
    """The key in boxes, one character each, captions under the boxes; returns the lowest y."""
    width = KEY_CELL * len(key)
    c.saveState()
    c.setFillColor(FILL)
    c.setStrokeColor(RULE)
    c.setLineWidth(1)
    c.rect(x, top - KEY_HEIGHT, width, KEY_HEIGHT, fill=1)
    c.setLineWidth(0.4)
    for i in range(1, len(key)):
        c.line(x + i * KEY_CELL, top - KEY_HEIGHT, x + i * KEY_CELL, top)
    c.setFillColor(colors.black)
    c.setFont(FACE, KEY_SIZE)
    baseline = top - KEY_HEIGHT / 2 - KEY_SIZE * 0.35
    for i, char in enumerate(key):
        c.drawCentredString(x + (i + 0.5) * KEY_CELL, baseline, char)
    c.setFillColor(SOFT)
    c.setFont(FACE, 7)
    for i, char in enumerate(key):
        c.drawCentredString(x + (i + 0.5) * KEY_CELL, top - KEY_HEIGHT - 10, key_caption(char))
    c.setFont(FACE, 7.5)
    c.drawString(x, top - KEY_HEIGHT - 24, KEY_LEGEND)
    c.restoreState()
    return top - KEY_HEIGHT - 24


# Every QR version has eight mask patterns; choosing the "best" one means encoding all eight
# (about 10 ms). Any mask is valid and scanners read pattern 0 well at print sizes, so the
# notice always uses it (about 1 ms). Nothing is cached: the URL carries the auth key.
QR_MASK_PATTERN = 0
QR_SAMPLES_PER_MODULE = 4
_DARK_TO_GREY = bytes([255, 0]) + bytes(254)  # module 1 (dark) -> 0 black, 0 (light) -> 255


def qr_modules(url: str) -> tuple[int, bytes]:
    """(modules per side, the modules row by row from the top: 0 dark, 255 light) of `url`'s QR code."""
    code = QRCode(None, QRErrorCorrectLevel.M)
    code.addData(url)
    code.version = code.calculate_version()
    code.makeImpl(False, QR_MASK_PATTERN)
    dark = bytes(map(bool, itertools.chain.from_iterable(code.modules)))  # 1 dark, 0 light
    return code.getModuleCount(), dark.translate(_DARK_TO_GREY)


def _draw_qr(c: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code for `url` with its lower left corner at (x, y).

    Drawn as a small grey image: a few hundred bytes, and much cheaper to write than a path of
    several hundred rectangles.
    """
    count, modules = qr_modules(url)
    image = Image.frombytes("L", (count, count), modules)
    # Several samples per module: a reader that smooths upscaled images still sees sharp modules.
    image = image.resize((count * QR_SAMPLES_PER_MODULE,) * 2, Image.Resampling.NEAREST)
    c.drawImage(ImageReader(image), x, y, size, size)


def page_address(issuer: Issuer) -> str | None:
    """The 保証確認 page's address as the notice prints it for typing: `verify_url` without its query.

    It is the issuer's configured page (which has no fragment), never the QR's link: the key is not in it.
    """
    if not issuer.verify_url:
        return None
    parts = urlsplit(issuer.verify_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


BREAK_AFTER = ("/", ".?&=", "-_")  # where a long address is broken, the first group preferred


def address_lines(text: str, width: float, size: float) -> list[str]:
    """`text` in lines of at most `width` at `size`.

    An address has no spaces to break at: it is broken after a 「/」 in the second half of a line, else
    after a 「.」 and the like, else at the line's end. Nothing is dropped and no hyphen is added, so
    the lines typed one after the other give the address.
    """
    lines: list[str] = []
    line = ""
    for char in text:
        if line and stringWidth(line + char, FACE, size) > width:
            cuts = (max(line.rfind(mark) for mark in group) + 1 for group in BREAK_AFTER)
            cut = next((cut for cut in cuts if cut > len(line) // 2), len(line))
            lines.append(line[:cut])
            line = line[cut:]
        line += char
    lines.append(line)
    return lines


def address_layouts(address: str, width: float):
    """The ways to set the address in a column `width` wide, best first: (size, the lines under the
    label — none when the address fits on the label's line —, the height of label and lines)."""
    label = stringWidth(ADDRESS_LABEL, FACE, ADDRESS_LABEL_SIZE)
    for size in ADDRESS_SIZES:
        if stringWidth(address, FACE, size) <= width - label:
            yield size, [], ADDRESS_LINE
        lines = address_lines(address, width, size)
        yield size, lines, ADDRESS_LINE + len(lines) * size * ADDRESS_LEADING


def _draw_request(
    c: Canvas, top: float, words: Wording, address: str | None, qr_url: str | None
) -> float:
    """【発注者様へのお願い】, boxed: how the orderer views the document; with a verification page, its
    address as text and the QR code that opens it, with the caption that says where the key goes.
    Returns the box's bottom.

    The box hangs under the 記 block (`top`: the highest it may reach) and grows with its text; a long
    address is set smaller until the box keeps above REQUEST_FLOOR. An address too long even for
    that (hundreds of characters) takes the box lower, and the handling branch's lines go under it.
    """
    text = (
        f"「{SERVICE}」にログインし、上記の「{words.number_label}」と「認証キー」をもって電子証書を"
        "閲覧ください。" + (f"（{words.number_hint}）" if words.number_hint else "")
    )
    x = MARGIN_X + REQUEST_PAD
    inner = CONTENT_WIDTH - 2 * REQUEST_PAD
    with_qr = bool(qr_url and address)
    column = inner - QR_SIZE - QR_GAP if with_qr else inner
    request = Paragraph(text, _style("request"))
    request_height = request.wrapOn(c, column, PAGE_HEIGHT)[1]
    height = REQUEST_HEAD + request_height + 10
    if with_qr:
        caption = Paragraph(markup(QR_CAPTION.format(number=words.number_label)), _style("caption"))
        caption_height = caption.wrapOn(c, column, PAGE_HEIGHT)[1]
        for size, lines, address_height in address_layouts(address, column):  # the first that fits
            text_height = REQUEST_HEAD + request_height + 5 + address_height + 3 + caption_height + 6
            height = max(text_height, QR_SIZE + 2 * QR_MARGIN)
            if top - height >= REQUEST_FLOOR:
                break
    bottom = min(REQUEST_BOTTOM, top - height)
    box_top = bottom + height

    c.saveState()
    c.setStrokeColor(RULE)
    c.setLineWidth(0.8)
    c.rect(MARGIN_X, bottom, CONTENT_WIDTH, height)
    c.setFillColor(INK)
    c.setFont(FACE, 10.5)
    c.drawString(x, box_top - 16, "【発注者様へのお願い】")
    y = box_top - REQUEST_HEAD - request_height
    request.drawOn(c, x, y)
    if with_qr:
        y -= 5
        baseline = y - ADDRESS_LABEL_SIZE
        c.setFont(FACE, ADDRESS_LABEL_SIZE)
        c.drawString(x, baseline, ADDRESS_LABEL)
        c.setFont(FACE, size)
        if not lines:
            c.drawString(x + stringWidth(ADDRESS_LABEL, FACE, ADDRESS_LABEL_SIZE), baseline, address)
        for line in lines:
            baseline -= size * ADDRESS_LEADING
            c.drawString(x, baseline, line)
        caption.drawOn(c, x, y - address_height - 3 - caption_height)
        qr_x = MARGIN_X + CONTENT_WIDTH - QR_MARGIN - QR_SIZE
        _draw_qr(c, qr_url, qr_x, box_top - QR_MARGIN - QR_SIZE, QR_SIZE)
    c.restoreState()
    return bottom


def _draw_header(c: Canvas, certificate: Mapping[str, Any], issuer: Issuer) -> float:
    top = PAGE_HEIGHT - 64
    right = PAGE_WIDTH - MARGIN_X
    c.setFillColor(INK)
    c.setFont(FACE, 10.5)
    c.drawRightString(right, top, wareki_of(certificate["issue_date"]))

    contractor = certificate.get("contractor") or {}
    name = f"{contractor.get('name') or ''}　様"
    c.setFont(FACE, 14)
    c.drawString(MARGIN_X, top - 36, name)
    c.setLineWidth(0.7)
    c.setStrokeColor(INK)
    c.line(MARGIN_X, top - 41, MARGIN_X + max(c.stringWidth(name, FACE, 14), 200), top - 41)

    branch = issuer.branch(certificate.get("branch_code"))
    c.setFont(FACE, 11.5)
    c.drawRightString(right, top - 66, issuer.company)
    c.setFont(FACE, 9.5)
    c.drawRightString(right, top - 81, f"{branch.name}　TEL：{branch.tel}")
    return top - 110


def _draw_methods(c: Canvas, top: float) -> float:
    """① and ② as two boxes with 又は between them."""
    box_w, box_h, gap = 206, 30, 38
    x1 = (PAGE_WIDTH - 2 * box_w - gap) / 2
    x2 = x1 + box_w + gap
    c.saveState()
    c.setStrokeColor(RULE)
    c.setLineWidth(0.8)
    c.setFillColor(INK)
    for x, text in ((x1, "①　電子契約システムへのアップロード"), (x2, "②　電子メールに添付して送信")):
        c.roundRect(x, top - box_h, box_w, box_h, 4)
        c.setFont(FACE, 10)
        c.drawCentredString(x + box_w / 2, top - box_h / 2 - 3.5, text)
    c.setFont(FACE, 9.5)
    c.drawCentredString(x1 + box_w + gap / 2, top - box_h / 2 - 3.3, "又は")
    c.restoreState()
    return top - box_h


def _draw_record(c: Canvas, certificate: Mapping[str, Any], key: str, top: float, words: Wording) -> float:
    """The 記 block: label, colon, value; returns the y below it."""
    contractor = certificate.get("contractor") or {}
    value_x = MARGIN_X + 18 + LABEL_WIDTH + 20
    value_width = PAGE_WIDTH - MARGIN_X - value_x
    label_x = MARGIN_X + 18
    y = top

    def row(label: str, value: str, *, gap: float = 30, sub: str | None = None) -> None:
        nonlocal y
        c.setFillColor(INK)
        c.setFont(FACE, 11)
        _draw_spread(c, label, label_x, y, LABEL_WIDTH, 11)
        c.drawString(label_x + LABEL_WIDTH + 4, y, "：")
        bottom = _paragraph(c, value, "value", value_x, y + 11.5, value_width)
        if sub:
            c.setFont(FACE, 8.5)
            c.drawString(label_x, y - 14, sub)
            bottom = min(bottom, y - 14)
        y = min(bottom - gap + 4.5, y - gap)  # one-line values: exactly `gap` apart

    row("商品（保証区分）", markup(words.product_text), gap=40)

    # The key: its label on the box's middle line.
    c.setFillColor(INK)
    c.setFont(FACE, 11)
    key_top = y + 11 + (KEY_HEIGHT - 11) / 2
    _draw_spread(c, "認証キー", label_x, y, LABEL_WIDTH, 11)
    c.drawString(label_x + LABEL_WIDTH + 4, y, "：")
    y = _draw_key(c, key, value_x, key_top) - 26

    name = markup(contractor.get("name"))
    if contractor.get("jv_name"):
        name += f'<br/><font size="9.5">（{markup(contractor["jv_name"])}）</font>'
    row("受注者名", name, gap=34, sub="（JVの場合は代表者）")
    row(work_label(certificate), markup(certificate["work_name"]))
    # Each version has its notice: 新規, or 変更ー k as under the certificate's title.
    change_number = certificate.get("change_number")
    kind = version_label(change_number)
    row(words.number_label, f"{markup(certificate['contract_number'])}　（{kind}）", gap=16)
    return y


@serialised
def render_notice(certificate: Mapping[str, Any], auth_key: str, issuer: Issuer | None = None) -> bytes:
    """The auth-key notice as PDF bytes; identical input gives identical bytes.

    The key is printed, so the bytes are as secret as the key: never log or cache them.
    """
    ensure_fonts(FACE)  # the notice's only face (its function loads no other)
    issuer = issuer or load_issuer()
    product = Product(certificate["product"])
    branch = issuer.branch(certificate.get("branch_code"))
    words = wording(certificate, issuer)

    buffer = io.BytesIO()
    c = new_canvas(
        buffer,
        title=f"{TITLE} {certificate['contract_number']}",
        author=issuer.company,
        subject=product_label(certificate),
        face=FACE,
    )
    y = _draw_header(c, certificate, issuer)

    c.setFillColor(INK)
    c.setFont(FACE, 16)
    c.drawCentredString(PAGE_WIDTH / 2, y, TITLE)
    y -= 30

    y = _paragraph(
        c, f"電子証書を「{SERVICE}」に掲載しましたので、お知らせします。", "body", MARGIN_X, y,
        CONTENT_WIDTH,
    )
    y = _paragraph(
        c,
        "つきましては、お客様にて下記内容をご確認いただき、次のいずれかの方法でこのPDFファイルを"
        "発注者様にご提出ください。",
        "body", MARGIN_X, y, CONTENT_WIDTH,
    )
    y = _draw_methods(c, y - 8) - 10
    y = _paragraph(
        c,
        f"電子保証のご利用にあたっては、発注者様への「{words.number_label}」と「認証キー」のご提出をもって、"
        f"{COMPLETES[product]}が完了いたします。",
        "body", MARGIN_X, y, CONTENT_WIDTH,
    )
    y = _paragraph(
        c, f"ご不明な点がございましたら、{words.inquiry}までお問い合わせください。", "body",
        MARGIN_X, y, CONTENT_WIDTH,
    )

    y -= 22
    c.setFillColor(INK)
    c.setFont(FACE, 11)
    c.drawCentredString(PAGE_WIDTH / 2, y, "記")
    y = _draw_record(c, certificate, auth_key, y - 28, words)
    c.setFont(FACE, 10.5)
    c.drawRightString(PAGE_WIDTH - MARGIN_X, y, "以上")

    # The request to the orderer, boxed, with the verification page's address and QR code.
    qr_url = verification_url(certificate["contract_number"], auth_key, issuer) if issuer.verify_url else None
    bottom = _draw_request(c, y - 10, words, page_address(issuer), qr_url)

    c.setFillColor(INK)
    c.setFont(FACE, 9.5)
    contact = f"{words.branch_label}　{issuer.company}　{branch.name}"
    phones = f"TEL：{branch.tel}" + (f"　FAX：{branch.fax}" if branch.fax else "")
    contact_y = min(CONTACT_Y, bottom - 14)
    c.drawRightString(PAGE_WIDTH - MARGIN_X, contact_y, contact)
    c.drawRightString(PAGE_WIDTH - MARGIN_X, contact_y - 14, phones)

    c.showPage()
    c.save()
    return buffer.getvalue()
