"""The small HTML pages HTTP routes answer with when they cannot give what was asked.

Plain HTML with inline styles, no script: they must show whatever else is
broken (the database, a stored PDF), under the portal's Content-Security-Policy.
"""

from __future__ import annotations

from html import escape

from customer_portal.i18n import N_, _, current_language

_PAGE = """<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}
<title>{title}</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;max-width:560px;margin:3em auto;padding:0 1em">
<h1 style="color:#0b5394">{title}</h1>
{paragraphs}
</body></html>"""


def plain_page(
    title: str,
    *sentences: str,
    back: tuple[str, str],
    back_sentence: str = N_("Vuelva a {link}."),
    refresh_seconds: int | None = None,
) -> str:
    """A page: ``title``, each of ``sentences`` a paragraph, and "Vuelva a <link>".

    Every text is a msgid (marked with ``N_`` where it is written), said here
    in the current language: build the page per request, not at import.

    Args:
        title: the heading and the tab's title.
        *sentences: plain text (escaped here).
        back: ``(label, href)`` of the way on.
        back_sentence: the sentence around the link, ``{link}`` where it goes
            ("Vuelve a {link}." on a page that says "tú"); one msgid, so a
            language may put the link wherever its grammar wants it.
        refresh_seconds: load the same address again after that long (a retry).
    """
    refresh = (
        f'\n<meta http-equiv="refresh" content="{int(refresh_seconds)}">' if refresh_seconds else ""
    )
    label, href = back
    paragraphs = [f"<p>{escape(_(sentence))}</p>" for sentence in sentences]
    link = f'<a href="{escape(href)}">{escape(_(label))}</a>'
    before, _sep, after = _(back_sentence).partition("{link}")
    paragraphs.append(f"<p>{escape(before)}{link}{escape(after)}</p>")
    return _PAGE.format(
        lang=current_language(),
        title=escape(_(title)),
        refresh=refresh,
        paragraphs="\n".join(paragraphs),
    )
