"""What a page's state needs, in one import: the guard, the database, the URL list.

A new private page's state is usually three things::

    class PaymentsState(ListPageState, AuthState):
        listing: ClassVar = UrlListing(route=routes.PAYMENTS, parse=..., to_query=...)
        rows: list[PaymentView] = []

        async def _load(self, account: Account, filters: PaymentFilters) -> Page:
            found = await in_read_session(search_payments,
                                          customer_id=self._customer_id(), filters=filters)
            self.rows = [...]
            return found

- :func:`signed_in` wraps a handler so it runs only for a signed-in customer,
  with their account; anyone else goes to Entrar and comes back afterwards.
- :func:`in_session` runs a domain function in a unit of work, off the event
  loop, so a slow query never stalls other customers; :func:`in_read_session`
  does the same for one that only reads (a list's search), without a lock.
- :class:`ListPageState` gives a list page its filters, sort and page kept in
  the URL (bookmarkable, Back works) and the handlers the shared components
  call.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import reflex as rx

from customer_portal import routes
from customer_portal.db import run_in_unit_of_work
from customer_portal.domain import listing as lists
from customer_portal.domain.listing import Noun, Ordering, Page, SortName
from customer_portal.i18n import ngettext
from customer_portal.models import Account
from customer_portal.state.auth import AuthState

R = TypeVar("R")

__all__ = [
    "AuthState",
    "ListPageState",
    "UrlListing",
    "in_read_session",
    "in_session",
    "signed_in",
]


async def in_session(fn: Callable[..., R], /, **kwargs: Any) -> R:
    """Run ``fn(session=..., **kwargs)`` in one unit of work, in a worker thread.

    The session commits if ``fn`` returns and rolls back if it raises; objects
    it returns stay readable after the commit.

    Args:
        fn: A domain function taking ``session`` and keyword arguments.
        **kwargs: Its other arguments.

    Returns:
        What ``fn`` returned.
    """
    return await asyncio.to_thread(run_in_unit_of_work, fn, **kwargs)


async def in_read_session(fn: Callable[..., R], /, **kwargs: Any) -> R:
    """:func:`in_session` for a domain function that only reads, such as a list's search.

    On SQLite its transaction takes no lock, so the lists of many customers
    load side by side instead of one after another (see
    :func:`customer_portal.db.unit_of_work`); a write in it raises.
    """
    return await asyncio.to_thread(run_in_unit_of_work, fn, read_only=True, **kwargs)


def signed_in(
    handler: Callable[..., Awaitable[Any]],
) -> Callable[..., Awaitable[Any]]:
    """Run ``handler(self, account, ...)`` only for a signed-in customer.

    Anyone else (no session, an expired one, a copied client token) is sent
    to Entrar with this page as the way back. Put it under ``@rx.event``::

        @rx.event
        @signed_in
        async def download(self, account: Account, number: str): ...

    The browser still calls ``download(number)``: ``account`` is resolved on
    the server for every event, never sent by the client. The handler may be
    an async generator (``yield`` to send a busy flag before the slow part).
    """

    @functools.wraps(handler)
    async def guarded(self: AuthState, *args: Any, **kwargs: Any) -> Any:
        account = await self._current_account()
        if account is None:
            return rx.redirect(routes.login(self._path_and_query()))
        result = handler(self, account, *args, **kwargs)
        if inspect.isasyncgen(result):
            # A handler that yields (to show a busy state first): Reflex runs
            # the generator it is handed, sending the changes of every step.
            return result
        return await result

    # What Reflex sees (the arguments a client sends): the handler without
    # ``account``. __wrapped__ stays, so type hints resolve in the handler's module.
    signature = inspect.signature(handler)
    params = list(signature.parameters.values())
    account = params.pop(1)
    guarded.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    guarded.__annotations__ = {
        name: hint for name, hint in handler.__annotations__.items() if name != account.name
    }
    guarded.requires_account = True  # type: ignore[attr-defined]
    return guarded


def requires_account(handler: Any) -> bool:
    """Whether an event handler (or its function) is guarded by :func:`signed_in`."""
    fn = getattr(handler, "fn", handler)
    return bool(getattr(fn, "requires_account", False))


def _results(count: int) -> str:
    return ngettext("{n} resultado", "{n} resultados", count).format(n=count)


@dataclass(frozen=True)
class UrlListing:
    """How a list page reads and writes its URL.

    Attributes:
        route: The page's path, e.g. ``routes.PAYMENTS``.
        parse: Filters from a URL query; must never raise (see
            :mod:`customer_portal.domain.listing`). The filters have an
            ``ordering`` attribute.
        to_query: The URL query of filters, defaults left out.
        ascending_first: Sort keys whose first click sorts A→Z (text);
            any other sorts newest or largest first.
        problems: What is wrong with a query, by URL key, in the current language (an
            amount that is not one, a date that cannot be read, a reversed
            date range). Buscar does not search while there is any: the
            message shows beside the field.
        describe: The filters in use as (URL key, text in the current language), listed under
            "Filtros (n)" with a button that removes each.
        noun: What the list holds, for its summary ("12 facturas ...").
        sort_names: How each sort key reads in the summary.
    """

    route: str
    parse: Callable[[Mapping[str, Any]], Any]
    to_query: Callable[[Any], dict[str, str]]
    ascending_first: frozenset[str] = frozenset()
    problems: Callable[[Mapping[str, Any]], dict[str, str]] = lambda query: {}
    describe: Callable[[Any], list[tuple[str, str]]] = lambda filters: []
    noun: Noun = Noun(_results)
    sort_names: Mapping[str, SortName] = dataclass_field(default_factory=dict)

    def url(self, filters: Any) -> str:
        """The page's URL showing ``filters``."""
        query = self.to_query(filters)
        return self.route + (f"?{urlencode(query)}" if query else "")


def _form_query(form_data: Mapping[str, Any]) -> dict[str, str]:
    """A submitted filter form as a URL query.

    Text fields keep their name; a checkbox named ``estado.cobrado`` that is
    ticked adds ``cobrado`` to the comma list ``estado`` (see
    :func:`customer_portal.components.filters.check_group`).
    """
    query: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    for name, value in form_data.items():
        if not isinstance(name, str):
            continue
        if "." in name:
            group, _dot, option = name.partition(".")
            # Reflex sends a checkbox as true/false; a plain form post would send "on".
            if value in (True, "on", "true"):
                groups.setdefault(group, []).append(option)
        elif isinstance(value, str):
            query[name] = value
    query.update({group: ",".join(options) for group, options in groups.items()})
    return query


#: The element that sums a list up (see components/lists.py): focused after it reloads.
SUMMARY_ID = "resumen"
# What may be focused after a reload: the id of a filter control (``estado_cobrado``).
_CONTROL_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class FilterChip:
    """A filter in use, as listed under "Filtros (n)": its URL key and what it reads like."""

    key: str
    label: str


class ListPageState(rx.State, mixin=True):
    """A list whose filters, sort and page live in the URL.

    Mix it into a page's state before :class:`AuthState`, set ``listing``,
    and implement :meth:`_load`. The URL says which list is shown: opening
    it (a link, a reload, a bookmark, Back or Forward) loads that list in
    the page's on_load (:meth:`open_list`). A change made on the page (a
    filter, a sort, a page) loads the new list in that same event and puts
    its URL in the address bar (``address``, pushed by
    :class:`customer_portal.components.lists.AfterListChange`): one round
    trip, where navigating to the URL would take four events.
    """

    listing: ClassVar[UrlListing]

    loaded: bool = False
    count: int = 0
    page: int = 1
    pages: int = 1
    has_any: bool = False
    sort: str = ""
    descending: bool = True
    #: The URL's filters as the form shows them (dates dd/mm/aaaa), its initial values.
    query: dict[str, str] = {}
    #: Changes with the URL's filters, to remount the (uncontrolled) filter form.
    form_key: str = ""
    #: What the customer must correct, by field (URL key): shown beside it.
    problems: dict[str, str] = {}
    #: "12 facturas · página 1 de 2, ordenadas por fecha, más recientes primero".
    summary: str = ""
    #: The filters in use, each removable; their number is the "Filtros (n)" count.
    active_filters: list[FilterChip] = []
    #: The URL of the list shown (``/facturas?estado=pendiente``): after a change
    #: on the page, components/lists.py puts it in the address bar.
    address: str = ""
    #: Grows each time the list should be announced and focused (components/lists.py
    #: watches it): after a sort, a page or a filter, not when the URL is opened.
    announced: int = 0
    #: The id of what gets focus then: the summary, or the filter that was just changed.
    focus_target: str = SUMMARY_ID
    #: Grows with every answer to a control of the page, whatever it was (a new
    #: list, a field to correct): the pressed control is idle again.
    answers: int = 0

    @rx.var
    def has_problems(self) -> bool:
        """Whether a filter must be corrected: the folded filters then open to show why."""
        return bool(self.problems)

    async def _load(self, account: Account, filters: Any) -> Page[Any]:
        """Load the rows of ``filters`` for ``account`` into this state's vars.

        Returns:
            The page found; its count, page, pages and has_any are shown by the
            shared components.
        """
        raise NotImplementedError

    def _filters(self) -> Any:
        """The filters of the list shown, which a change starts from; the URL's before a load.

        Not the event's URL once loaded: after two quick clicks it can be one
        change behind.
        """
        if not self.loaded:
            return self.listing.parse(dict(self.router.url.query_parameters))
        return self.listing.parse(dict(parse_qsl(urlsplit(self.address).query)))

    async def _show(self, account: Account, filters: Any) -> None:
        """Load the list of ``filters`` and everything the page says about it."""
        found = await self._load(account, filters)
        self.count, self.page, self.pages = found.count, found.page, found.pages
        self.has_any = found.has_any
        self.sort, self.descending = filters.ordering.sort, filters.ordering.descending
        url_query = self.listing.to_query(filters)
        self.address = self._with_customer(self.listing.url(filters))
        self.query = lists.form_values(url_query)
        self.form_key = urlencode(url_query)
        self.active_filters = [FilterChip(k, text) for k, text in self.listing.describe(filters)]
        self.summary = lists.results_summary(
            noun=self.listing.noun,
            count=found.count,
            page=found.page,
            pages=found.pages,
            sort=self.listing.sort_names.get(self.sort),
            descending=self.descending,
        )
        self.loaded = True

    async def _go(self, account: Account, filters: Any, *, focus: str = SUMMARY_ID) -> None:
        """Show the list of ``filters`` now; it is announced and ``focus`` focused."""
        self.focus_target = focus
        if not self.loaded or self._with_customer(self.listing.url(filters)) != self.address:
            # The form is drawn again from the new list's URL: a message about
            # text typed before would stand beside text no longer there.
            self.problems = {}
            await self._show(account, filters)
        # Also when nothing changed (Buscar with the same filters): say what is shown.
        self.announced += 1

    def _with_ordering(self, filters: Any, **changes: Any) -> Any:
        ordering: Ordering = filters.ordering
        return replace(filters, ordering=replace(ordering, **changes))

    @rx.event
    @signed_in
    async def open_list(self, account: Account):
        """on_load: the list the URL names (a link, a reload, a bookmark, Back, Forward)."""
        query = dict(self.router.url.query_parameters)
        self.problems = self.listing.problems(query)
        await self._show(account, self.listing.parse(query))

    # Every handler a control of the page calls answers only a signed-in
    # customer, loads through the same guarded _load as on_load, and grows
    # ``answers`` however it ends: the control the customer pressed shows it
    # is busy from the press until then (assets/portal.js, components/lists.py).
    @rx.event
    @signed_in
    async def apply_filters(self, account: Account, form_data: dict):
        """Buscar: the form's filters, keeping the sort, from the first page."""
        self.answers += 1
        if not isinstance(form_data, dict):
            return
        current = self._filters().ordering
        fields = _form_query(form_data)
        # Sent by a field that applies at once: focus goes back to it, not away.
        origin = fields.pop("foco", "")
        focus = origin if _CONTROL_ID.fullmatch(origin) else SUMMARY_ID
        self.problems = self.listing.problems(fields)
        if self.problems:
            # The typed text stays in the form, with the message beside it.
            return
        fields.update(orden=current.sort, dir="desc" if current.descending else "asc")
        filters = self._with_ordering(self.listing.parse(fields), page=1)
        await self._go(account, filters, focus=focus)

    @rx.event
    @signed_in
    async def sort_by(self, account: Account, column: str):
        """Sort by ``column``; a second click on the same column turns the order round."""
        self.answers += 1
        current = self._filters()
        ordering: Ordering = current.ordering
        if ordering.sort == column:
            descending = not ordering.descending
        else:
            descending = column not in self.listing.ascending_first
        await self._go(
            account, self._with_ordering(current, sort=str(column), descending=descending, page=1)
        )

    @rx.event
    @signed_in
    async def go_to_page(self, account: Account, page: int):
        """Show page ``page`` (clamped to the list's pages)."""
        self.answers += 1
        try:
            target = int(page)
        except (TypeError, ValueError, OverflowError):
            return
        await self._go(account, self._with_ordering(self._filters(), page=target))

    @rx.event
    @signed_in
    async def remove_filter(self, account: Account, key: str):
        """Drop the filter under URL key ``key`` (its button under "Filtros (n)"), from page 1."""
        self.answers += 1
        query = self.listing.to_query(self._filters())
        if not isinstance(key, str) or key not in query:
            return
        del query[key]
        query.pop("pagina", None)
        await self._go(account, self.listing.parse(query))

    @rx.event
    @signed_in
    async def clear_filters(self, account: Account):
        """Limpiar filtros: the list as it first opens."""
        self.answers += 1
        await self._go(account, self.listing.parse({}))
