"""Build real test PDFs offline: text PDFs through PDFium's own writer, and a tiny hand-made writer
(Helvetica text, optional ToUnicode map, optional image XObject, optional RC4 encryption) so the
test files do not depend on anything the decoder itself uses to read them.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from tests.render import font_path

A4 = (595.0, 842.0)


@dataclass
class TextLine:
    """Text drawn with its baseline-left at (x, y_top) where y is measured from the page top, in points."""

    text: str
    x: float
    y: float
    size: float = 14.0


def pdfium_text_pdf(
    pages: Sequence[Sequence[TextLine]],
    *,
    font: str = "nanum",
    page_size: tuple[float, float] = A4,
    rotate: int = 0,
) -> bytes:
    """A PDF with a real text layer (embedded TrueType font with a ToUnicode map), one list per page."""
    data = font_path(font).read_bytes()
    font_buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    pdf = pdfium.PdfDocument.new()
    handle = pdfium_c.FPDFText_LoadFont(pdf.raw, font_buf, len(data), pdfium_c.FPDF_FONT_TRUETYPE, 1)
    assert handle, "PDFium could not load the font"
    try:
        for lines in pages:
            page = pdf.new_page(*page_size)
            for line in lines:
                obj = pdfium_c.FPDFPageObj_CreateTextObj(pdf.raw, handle, line.size)
                wide = ctypes.create_string_buffer((line.text + "\x00").encode("utf-16-le"))
                assert pdfium_c.FPDFText_SetText(obj, ctypes.cast(wide, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
                pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, line.x, page_size[1] - line.y)
                pdfium_c.FPDFPage_InsertObject(page.raw, obj)
            if rotate:
                page.set_rotation(rotate)
            assert pdfium_c.FPDFPage_GenerateContent(page.raw)
            page.close()
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    finally:
        pdfium_c.FPDFFont_Close(handle)
        pdf.close()


# --- a minimal PDF writer ------------------------------------------------------------------------

# The 32-byte padding string of the PDF standard security handler (ISO 32000-1, 7.6.3.3).
_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")
_FILE_ID = bytes(range(16))


def rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def _padded(password: str) -> bytes:
    return (password.encode("latin-1") + _PAD)[:32]


@dataclass
class _Security:
    """Standard security handler, revision 2 (40-bit RC4)."""

    user: str
    owner: str
    permissions: int = -44
    key: bytes = b""
    o_entry: bytes = b""
    u_entry: bytes = b""

    def __post_init__(self) -> None:
        owner_key = hashlib.md5(_padded(self.owner or self.user)).digest()[:5]
        self.o_entry = rc4(owner_key, _padded(self.user))
        seed = _padded(self.user) + self.o_entry + self.permissions.to_bytes(4, "little", signed=True) + _FILE_ID
        self.key = hashlib.md5(seed).digest()[:5]
        self.u_entry = rc4(self.key, _PAD)

    def encrypt(self, number: int, data: bytes) -> bytes:
        object_key = hashlib.md5(self.key + number.to_bytes(3, "little") + b"\x00\x00").digest()[:10]
        return rc4(object_key, data)


@dataclass
class HandPdf:
    """Objects are numbered in the order they are added; streams are encrypted when `security` is set."""

    objects: list[bytes] = field(default_factory=list)
    security: _Security | None = None

    def reserve(self) -> int:
        self.objects.append(b"")
        return len(self.objects)

    def put(self, number: int, body: bytes) -> int:
        self.objects[number - 1] = body
        return number

    def add(self, body: bytes) -> int:
        return self.put(self.reserve(), body)

    def stream(self, number: int, data: bytes, extra: bytes = b"") -> int:
        if self.security is not None:
            data = self.security.encrypt(number, data)
        return self.put(number, b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream")

    def add_stream(self, data: bytes, extra: bytes = b"") -> int:
        return self.stream(self.reserve(), data, extra)

    def build(self, root: int) -> bytes:
        out = io.BytesIO()
        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        trailer = b"/Size %d /Root %d 0 R" % (len(self.objects) + 1, root)
        if self.security is not None:
            sec = self.security
            encrypt = self.add(
                b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
                % (sec.o_entry.hex().encode(), sec.u_entry.hex().encode(), sec.permissions)
            )
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % encrypt + self.objects[encrypt - 1] + b"\nendobj\n")
            trailer = b"/Size %d /Root %d 0 R /Encrypt %d 0 R" % (len(self.objects) + 1, root, encrypt)
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1))
        for offset in offsets:
            out.write(b"%010d 00000 n \n" % offset)
        file_id = _FILE_ID.hex().encode()
        out.write(b"trailer\n<< %s /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n" % (trailer, file_id, file_id, xref))
        return out.getvalue()


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


@dataclass
class ImageSpec:
    """A grey image XObject drawn to fill the page."""

    width: int
    height: int
    value: int = 0


def hand_pdf(
    pages: Sequence[Sequence[TextLine]],
    *,
    page_size: tuple[float, float] = (612.0, 792.0),
    user_password: str | None = None,
    owner_password: str = "owner",
    to_unicode_pua: bool = False,
    image: ImageSpec | None = None,
) -> bytes:
    """Helvetica text pages written by hand (optionally encrypted, or with an unusable ToUnicode map)."""
    doc = HandPdf()
    if user_password is not None:
        doc.security = _Security(user=user_password, owner=owner_password)
    catalog, page_tree = doc.reserve(), doc.reserve()
    font_extra = b""
    if to_unicode_pua:
        # Every printable code maps into the private use area: glyphs without a real character.
        cmap = (
            b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            b"/CMapName /PUA def /CMapType 2 def\n"
            b"1 begincodespacerange <00> <FF> endcodespacerange\n"
            b"1 beginbfrange <20> <7E> <E000> endbfrange\n"
            b"endcmap CMapName currentdict /CMap defineresource pop end end\n"
        )
        font_extra = b" /ToUnicode %d 0 R" % doc.add_stream(cmap)
    font = doc.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding%s >>" % font_extra)
    xobject = b""
    if image is not None:
        pixels = zlib.compress(bytes([image.value]) * (image.width * image.height), 9)
        number = doc.add_stream(
            pixels,
            b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter /FlateDecode " % (image.width, image.height),
        )
        xobject = b" /XObject << /Im1 %d 0 R >>" % number
    kids = []
    width, height = page_size
    for lines in pages:
        content = b""
        if image is not None:
            content += b"q %g 0 0 %g 0 0 cm /Im1 Do Q\n" % (width, height)
        for line in lines:
            content += b"BT /F1 %g Tf %g %g Td (%s) Tj ET\n" % (
                line.size,
                line.x,
                height - line.y,
                _escape(line.text),
            )
        contents = doc.add_stream(content)
        kids.append(
            doc.add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %g %g] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R >>%s >> >>" % (page_tree, width, height, contents, font, xobject)
            )
        )
    doc.put(
        page_tree,
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)),
    )
    doc.put(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % page_tree)
    return doc.build(catalog)


def form_pdf(value: str = "KIM MINSU") -> bytes:
    """One page whose only content is a filled-in AcroForm text field (no appearance stream)."""
    doc = HandPdf()
    catalog, page_tree = doc.reserve(), doc.reserve()
    font = doc.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    contents = doc.add_stream(b"")
    widget = doc.reserve()
    page = doc.add(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 300 100] /Contents %d 0 R /Resources << >> "
        b"/Annots [%d 0 R] >>" % (page_tree, contents, widget)
    )
    doc.put(
        widget,
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /V (%s) /Rect [10 30 290 70] "
        b"/DA (/Helv 24 Tf 0 g) /P %d 0 R /F 4 >>" % (_escape(value), page),
    )
    doc.put(page_tree, b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page)
    doc.put(
        catalog,
        b"<< /Type /Catalog /Pages %d 0 R /AcroForm << /Fields [%d 0 R] /DA (/Helv 0 Tf 0 g) "
        b"/DR << /Font << /Helv %d 0 R >> >> >> >>" % (page_tree, widget, font),
    )
    return doc.build(catalog)


def slow_pdf(strokes: int) -> bytes:
    """A one-page PDF that is tiny (the content stream compresses to almost nothing) but slow to render:
    ``strokes`` long crossing lines, each one stroked over the whole page (10 000 take seconds)."""
    content = zlib.compress(b"0.1 w " + b"10 10 m 600 800 l 10 800 l 600 10 l S " * strokes, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
